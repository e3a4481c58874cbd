// The swimlane model of one run: lanes (Nexus, instances, VMMs, sleds) holding state segments and
// marks, all pinned to ticks (the moments something is drawn, in trace order). Pure data: the
// builder is lanes.ts, the x positions are lane-layout.ts, the SVG is html-svg.ts.

export type LaneKind = 'scenario' | 'nexus' | 'instance' | 'vmm' | 'sled'

export interface LaneModel {
  /** Every moment something is drawn, in trace order; segments and marks refer to them by index. */
  readonly ticks: readonly Tick[]
  /** Scenario, Nexus, then each instance followed by its VMMs, then VMMs of no known instance, then sleds. */
  readonly lanes: readonly Lane[]
  /** Virtual ms when the run ended: open segments last until then. */
  readonly endAt: number
  /** The label of the lane each event went to, drawn or not, by seq (events of no lane are absent). */
  readonly laneOf: ReadonlyMap<number, string>
}

/** A drawn moment: a trace event (`seq`) or an invariant violation (`violation`, its index). */
export type Tick = { readonly at: number; readonly seq: number } | { readonly at: number; readonly violation: number }

export interface Lane {
  /** `scenario`, `nexus`, `instance:<id>`, `vmm:<propolis id>` or `sled:<name>`. */
  readonly id: string
  readonly kind: LaneKind
  /** What a person calls it: the instance's name where known (`db1`, `db1 · vmm 63d02c37`). */
  readonly label: string
  /** A second line under the label (`instance`, `VMM on sled-1`). */
  readonly caption: string
  /** Full ids and where it runs, for the hover title. */
  readonly detail: string
  /** State rows: one for an instance, two for a VMM (Nexus's record, then the sled's view). */
  readonly bands: readonly Band[]
  readonly marks: readonly Mark[]
  /** Sagas drawn on this lane, under their node marks. */
  readonly spans: readonly SagaSpan[]
}

export interface Band {
  /** Short name shown beside the row (`state`, `nexus`, `sled`). */
  readonly name: string
  readonly title: string
  readonly segments: readonly Segment[]
}

/** A state from `tick` until the next segment of its band, or the end of the run. */
export interface Segment {
  readonly tick: number
  /** Null ends the band here: the record was deleted, or the sled let the VMM go. */
  readonly state: string | null
  readonly gen: number | null
  readonly title: string
}

/** How a mark is drawn. */
export type MarkShape =
  | 'saga_node'
  /** An HTTP call into a sled (Nexus → sled-agent), drawn pointing down. */
  | 'http_call'
  /** An HTTP call up to Nexus (sled-agent → Nexus), drawn pointing up. */
  | 'http_upcall'
  | 'fault'
  | 'violation'
  | 'task'
  | 'crash'
  | 'restart'
  | 'note'
  | 'event'

/** What a mark means, which sets its colour. `quiet` is a task run that found nothing to do. */
export type MarkTone = 'ok' | 'quiet' | 'info' | 'warn' | 'undo' | 'failed' | 'fault' | 'violation' | 'pending'

export interface Mark {
  readonly tick: number
  readonly shape: MarkShape
  readonly tone: MarkTone
  /** A few characters drawn beside the mark, or ''. */
  readonly label: string
  /** The hover text: everything known about it. */
  readonly title: string
  /** The trace event it stands for (null for a violation), to find its row in the event table. */
  readonly seq: number | null
}

export interface SagaSpan {
  readonly saga: string
  readonly name: string
  /** `succeeded`, `unwound`, `stuck`, ..., or null while it had not finished when the run ended. */
  readonly outcome: string | null
  readonly fromTick: number
  readonly toTick: number
  readonly title: string
}
