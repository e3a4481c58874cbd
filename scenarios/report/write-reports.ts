// Writes a run's reports to files: the HTML report, and the trace as canonical JSONL (sorted keys,
// one event a line), so two runs can be diffed byte for byte. A single run's JSONL is exactly the
// trace's own (its SHA-256 is the run's trace hash); a catalogue's tags each line with its scenario.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { canonicalJson } from '../../sim/kernel/trace.ts'
import { renderHtmlReport } from './html.ts'
import type { CatalogueReport, ScenarioRunReport } from './report-model.ts'

export interface ReportPaths {
  /** Where to write the HTML report. */
  readonly html?: string
  /** Where to write the JSONL trace. */
  readonly trace?: string
}

/** Writes the reports asked for; a single run is written as a catalogue of one. Returns the paths written. */
export function writeReports(paths: ReportPaths, report: CatalogueReport | ScenarioRunReport): string[] {
  const catalogue: CatalogueReport = 'scenarios' in report ? report : { title: report.name, scenarios: [report] }
  const written: string[] = []
  if (paths.html !== undefined) {
    write(paths.html, renderHtmlReport(catalogue))
    written.push(paths.html)
  }
  if (paths.trace !== undefined) {
    write(paths.trace, 'scenarios' in report ? traceJsonl(report) : jsonl(report.trace.map((event) => canonicalJson(event))))
    written.push(paths.trace)
  }
  return written
}

/** Every event of every run, one canonical JSON object a line, with `scenario` added. */
export function traceJsonl(report: CatalogueReport): string {
  return jsonl(report.scenarios.flatMap((run) => run.trace.map((event) => canonicalJson({ scenario: run.name, ...event }))))
}

function jsonl(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}
