// The text timeline for CI logs: a header per scenario (name, seed, PASS/FAIL, failures,
// violations), then one event a line with virtual time first. By default it folds the noise:
// HTTP responses go on their request's line, and task runs that found nothing are left out.
import { formatElapsed } from '../../sim/kernel/time.ts'
import { renderEvent, type TraceEvent } from '../../sim/kernel/trace.ts'
import type { InvariantViolation } from '../invariants/violation.ts'
import { fieldsOf, num, str, type EventFields } from './event-fields.ts'
import type { CatalogueReport, ScenarioRunReport } from './report-model.ts'
import { findTaskRuns } from './task-runs.ts'

export interface TimelineOptions {
  /** Every event on a line of its own, as recorded (the folding options below are ignored). */
  readonly full?: boolean
  /** Put each `http.response` on its request's line (`→ 204`). Default true. */
  readonly mergeHttp?: boolean
  /** Leave out background-task runs that only looked and found nothing (with what they did). Default true. */
  readonly hideQuietTasks?: boolean
  /** Kinds to leave out entirely, e.g. `propolis.published`. */
  readonly omitKinds?: readonly string[]
}

/** The timeline of one run, or of a catalogue (a line with the counts, then each run). */
export function renderTimeline(report: CatalogueReport | ScenarioRunReport, options: TimelineOptions = {}): string {
  if (!('scenarios' in report)) return renderRun(report, options)
  const passed = report.scenarios.filter((s) => s.passed).length
  const head = `# ${report.title}: ${report.scenarios.length} scenarios, ${passed} passed, ${report.scenarios.length - passed} failed\n`
  return [head, ...report.scenarios.map((s) => renderRun(s, options))].join('\n')
}

function renderRun(run: ScenarioRunReport, options: TimelineOptions): string {
  const events = run.trace.map(fieldsOf)
  const hidden = hiddenEvents(events, options)
  const responses = new Map<number, EventFields>()
  if (!options.full && options.mergeHttp !== false) {
    for (const e of events) if (e.kind === 'http.response' && num(e, 'exchange') !== null) responses.set(num(e, 'exchange') ?? -1, e)
  }
  const merged = [...responses.values()].filter((r) => !hidden.has(r.seq)).length
  const lines = [...header(run, hidden.size, merged)]
  const violations = [...run.violations].sort((a, b) => a.at - b.at)
  let v = 0
  for (const [i, event] of events.entries()) {
    for (; v < violations.length && (violations[v]?.at ?? Infinity) < event.at; v += 1) lines.push(violationLine(violations[v]))
    if (hidden.has(event.seq) || (event.kind === 'http.response' && responses.size > 0)) continue
    const line = renderEvent(run.trace[i] as TraceEvent)
    lines.push(event.kind === 'http.request' && responses.size > 0 ? `${line}  ${answer(event, responses)}` : line)
  }
  for (; v < violations.length; v += 1) lines.push(violationLine(violations[v]))
  return `${lines.join('\n')}\n`
}

function header(run: ScenarioRunReport, hidden: number, merged: number): string[] {
  const verdict = run.passed ? 'PASS' : 'FAIL'
  const lines = [
    `=== ${run.name}  seed=${run.seed}  ${verdict}  events=${run.trace.length}  ended=${formatElapsed(run.endedAt)}  trace=${run.traceHash.slice(0, 16)}`,
    `    ${run.description}`,
    `    failures: ${run.failures.length}  violations: ${run.violations.length}${hidden + merged > 0 ? `  (folded: ${hidden} lines left out, ${merged} HTTP responses merged)` : ''}`,
  ]
  for (const f of run.failures) lines.push(`    failure  ${f.step === null ? 'run' : `step ${f.step}`} (${f.kind}): ${f.message}`)
  for (const v of run.violations) {
    const expected = run.expectedViolations.includes(v.invariant) ? 'expected' : 'UNEXPECTED'
    lines.push(`    violation  ${formatElapsed(v.at)}  ${v.invariant}  ${v.subject}: ${v.message}  [${expected}]`)
  }
  return lines
}

function violationLine(v: InvariantViolation | undefined): string {
  if (v === undefined) return ''
  return `${formatElapsed(v.at).padStart(10)}  VIOLATION  ${v.invariant}  ${v.subject}: ${v.message}`
}

/** `→ 204`, `→ 500 cause="fault 1"`, `→ 200 at 2.000s` when it came later, or `→ no response`. */
function answer(request: EventFields, responses: ReadonlyMap<number, EventFields>): string {
  const response = responses.get(num(request, 'exchange') ?? -1)
  if (response === undefined) return '→ no response'
  const status = response['status'] ?? null
  const cause = str(response, 'cause')
  const later = response.at === request.at ? '' : ` at ${formatElapsed(response.at)}`
  return `→ ${String(status)}${cause === null ? '' : ` cause=${JSON.stringify(cause)}`}${later}`
}

/** The seqs of events the options leave out. */
function hiddenEvents(events: readonly EventFields[], options: TimelineOptions): Set<number> {
  const hidden = new Set<number>()
  if (options.full) return hidden
  const omit = new Set(options.omitKinds ?? [])
  for (const e of events) if (omit.has(e.kind)) hidden.add(e.seq)
  if (options.hideQuietTasks === false) return hidden
  for (const run of findTaskRuns(events)) {
    if (!run.quiet || run.finished === null) continue
    for (const seq of [run.activated.seq, run.finished.seq, ...run.inner]) hidden.add(seq)
  }
  return hidden
}
