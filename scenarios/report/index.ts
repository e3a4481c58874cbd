// The reports of a run (DESIGN.md §5): the text timeline for CI logs, the self-contained HTML
// report with swimlanes, and the files they are written to.
export { renderTimeline, type TimelineOptions } from './timeline.ts'
export { renderHtmlReport } from './html.ts'
export { writeReports, traceJsonl, type ReportPaths } from './write-reports.ts'
export { buildLaneModel } from './lanes.ts'
export type { CatalogueReport, ScenarioRunReport, StepFailure } from './report-model.ts'
