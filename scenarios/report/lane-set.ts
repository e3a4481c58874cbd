// The lanes of one run while they are being filled: ticks in trace order, lanes created on first
// use, saga spans grown node by node. lanes.ts decides what goes where; this keeps the bookkeeping
// and orders the lanes at the end (each instance followed by its VMMs).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InvariantViolation } from '../invariants/violation.ts'
import { describeTime } from './describe-time.ts'
import { instanceInPath, propolisInPath, shortId, str, type EventFields } from './event-fields.ts'
import type { InstanceStateView } from './instance-band.ts'
import type { TraceIndex } from './lane-index.ts'
import type { Band, Lane, LaneKind, LaneModel, Mark, MarkShape, MarkTone, SagaSpan, Segment, Tick } from './lane-model.ts'

interface DraftLane {
  readonly id: string
  readonly kind: LaneKind
  readonly key: string
  readonly bands: { readonly name: string; readonly title: string; readonly segments: Segment[] }[]
  readonly marks: Mark[]
}

interface DraftSpan {
  readonly lane: string
  readonly name: string
  outcome: string | null
  readonly from: number
  to: number
  detail: string
}

const BANDS: Record<LaneKind, readonly (readonly [string, string])[]> = {
  scenario: [],
  nexus: [],
  instance: [['state', 'the state the instance reads as, from its records (and the record generation)']],
  vmm: [
    ['nexus', "Nexus's VMM record (state and the sled-agent generation it holds)"],
    ['sled', "the sled-agent's own view of the VMM"],
  ],
  sled: [],
}

export class LaneSet {
  readonly #index: TraceIndex
  readonly #epochMs: number
  readonly #ticks: Tick[] = []
  readonly #tickOfSeq = new Map<number, number>()
  readonly #lanes = new Map<string, DraftLane>()
  readonly #spans = new Map<string, DraftSpan>()
  readonly #laneOf = new Map<number, string>()

  constructor(index: TraceIndex, epochMs: number) {
    this.#index = index
    this.#epochMs = epochMs
    this.#lane('nexus', 'nexus', '')
  }

  /** The lane for notes and for what belongs to no instance, VMM or sled. */
  scenario(): string {
    return this.#lane('scenario', 'scenario', '')
  }

  vmm(propolis: string): string {
    const instance = this.#index.instanceOfVmm.get(propolis)
    if (instance !== undefined) this.instance(instance)
    return this.#lane(`vmm:${propolis}`, 'vmm', propolis)
  }

  /** An instance's lane, by its id or its name. */
  instance(idOrName: string): string {
    const id = this.#index.instanceIds.get(idOrName) ?? idOrName
    return this.#lane(`instance:${id}`, 'instance', id)
  }

  sled(name: string): string {
    return this.#lane(`sled:${name}`, 'sled', name)
  }

  /** A saga's lane: its instance's, or Nexus's when no event ties it to one. */
  saga(saga: string): string {
    const instance = this.#index.instanceOfSaga.get(saga)
    return instance === undefined ? 'nexus' : this.instance(instance)
  }

  sagaNode(event: EventFields): string {
    return this.saga(str(event, 'saga') ?? '')
  }

  /** Notes that `event` belongs to `lane` without drawing it (for the event table's lane column). */
  place(lane: string, event: EventFields): void {
    if (!this.#laneOf.has(event.seq)) this.#laneOf.set(event.seq, lane)
  }

  /** `saga.started` opens a span and `saga.finished` closes it; node marks in between stretch it. */
  sagaEdge(event: EventFields): void {
    const saga = str(event, 'saga') ?? ''
    const tick = this.#tick(event)
    this.place(this.saga(saga), event)
    const span = this.#spans.get(saga) ?? { lane: this.saga(saga), name: str(event, 'name') ?? '?', outcome: null, from: tick, to: tick, detail: '' }
    this.#spans.set(saga, span)
    span.to = tick
    if (event.kind === 'saga.started') span.detail = `saga ${saga}\nstarted ${describeTime(event.at, this.#epochMs)}`
    if (event.kind !== 'saga.finished') return
    span.outcome = str(event, 'outcome')
    const failed = str(event, 'failed_node')
    const undo = str(event, 'undo_node')
    span.detail += `\nended ${span.outcome}${failed === null ? '' : ` at ${failed}`}${undo === null ? '' : `, stuck undoing ${undo}`} ${describeTime(event.at, this.#epochMs)}`
  }

  /** An HTTP request's lane: the VMM or instance its path names, else Nexus. */
  forRequest(request: EventFields): string {
    const path = str(request, 'path') ?? ''
    const propolis = propolisInPath(path)
    if (propolis !== null) return this.vmm(propolis)
    const instance = instanceInPath(path)
    const known = instance !== null && (this.#index.instanceIds.has(instance) || this.#lanes.has(`instance:${instance}`))
    return known ? this.instance(instance) : 'nexus'
  }

  /** An event of a kind the reports do not know: placed by the ids it carries. */
  forUnknown(event: EventFields): string {
    const [propolis, instance, saga, sled] = [str(event, 'propolis'), str(event, 'instance'), str(event, 'saga'), str(event, 'sled')]
    if (propolis !== null) return this.vmm(propolis)
    if (instance !== null) return this.instance(instance)
    if (saga !== null) return this.saga(saga)
    return sled === null ? this.scenario() : this.sled(sled)
  }

  segment(lane: string, band: number, event: EventFields, state: string | null, gen: number | null, title: string): void {
    this.place(lane, event)
    const segments = this.#lanes.get(lane)?.bands[band]?.segments
    const last = segments?.at(-1)
    if (segments === undefined || (last === undefined && state === null) || (last?.state === state && last.gen === gen)) return
    segments.push({ tick: this.#tick(event), state, gen, title: `${title}\n${describeTime(event.at, this.#epochMs)}` })
  }

  instanceState(instance: string, row: EventFields, view: InstanceStateView | null, gone: boolean): void {
    if (view === null) return
    this.segment(this.instance(instance), 0, row, gone ? null : view.state, view.gen, view.title)
  }

  mark(lane: string, event: EventFields, shape: MarkShape, tone: MarkTone, label: string, headline: string): void {
    const tick = this.#tick(event)
    const saga = event.kind.startsWith('saga.') ? this.#spans.get(str(event, 'saga') ?? '') : undefined
    if (saga !== undefined) saga.to = tick
    this.place(lane, event)
    const title = `${headline}\n${describeTime(event.at, this.#epochMs)} · seq ${event.seq}`
    this.#lanes.get(lane)?.marks.push({ tick, shape, tone, label, title, seq: event.seq })
  }

  violation(lane: string, violation: InvariantViolation, index: number): void {
    const tick = this.#ticks.push({ at: violation.at, violation: index }) - 1
    const title = `invariant ${violation.invariant} broken\n${violation.subject}: ${violation.message}\n${describeTime(violation.at, this.#epochMs)}`
    this.#lanes.get(lane)?.marks.push({ tick, shape: 'violation', tone: 'violation', label: '!', title, seq: null })
  }

  model(endAt: number): LaneModel {
    const drafts = [...this.#lanes.values()]
    const ordered = [
      ...drafts.filter((l) => l.kind === 'scenario' || l.kind === 'nexus').sort((a, b) => (a.kind === 'scenario' ? -1 : b.kind === 'scenario' ? 1 : 0)),
      ...drafts.filter((l) => l.kind === 'instance').flatMap((l) => [l, ...drafts.filter((v) => v.kind === 'vmm' && this.#index.instanceOfVmm.get(v.key) === l.key)]),
      ...drafts.filter((l) => l.kind === 'vmm' && !this.#lanes.has(`instance:${this.#index.instanceOfVmm.get(l.key) ?? ''}`)),
      ...drafts.filter((l) => l.kind === 'sled'),
    ]
    const spans = [...this.#spans].map(([saga, s]): SagaSpan & { lane: string } => ({
      lane: s.lane,
      saga,
      name: s.name,
      outcome: s.outcome,
      fromTick: s.from,
      toTick: s.to,
      title: `${s.name} (${s.outcome ?? 'still running'})\n${s.detail.trim()}`,
    }))
    const lanes = ordered.map((l): Lane => ({
      id: l.id,
      kind: l.kind,
      ...this.#naming(l),
      bands: l.bands.some((b) => b.segments.length > 0) ? l.bands.map((b): Band => ({ name: b.name, title: b.title, segments: b.segments })) : [],
      marks: l.marks,
      spans: spans.filter((s) => s.lane === l.id).map(({ lane: _lane, ...span }) => span),
    }))
    const labels = new Map(lanes.map((l) => [l.id, l.label]))
    const laneOf = new Map([...this.#laneOf].flatMap(([seq, id]) => (labels.has(id) ? [[seq, labels.get(id) ?? id] as const] : [])))
    return { ticks: this.#ticks, lanes, endAt, laneOf }
  }

  #naming(lane: DraftLane): { label: string; caption: string; detail: string } {
    const instanceLabel = (id: string): string => this.#index.instanceNames.get(id) ?? `instance ${shortId(id)}`
    switch (lane.kind) {
      case 'scenario':
        return { label: 'Scenario', caption: 'notes, other events', detail: 'notes, invariant violations, and events of kinds the report does not know' }
      case 'nexus':
        return { label: 'Nexus', caption: 'control plane', detail: 'background tasks, crashes and restarts, and sagas not tied to one instance' }
      case 'instance':
        return { label: instanceLabel(lane.key), caption: 'instance', detail: `instance ${lane.key}` }
      case 'vmm': {
        const instance = this.#index.instanceOfVmm.get(lane.key)
        const name = instance === undefined ? undefined : this.#index.instanceNames.get(instance)
        const sledKey = this.#index.sledOfVmm.get(lane.key)
        const sled = sledKey === undefined ? undefined : (this.#index.names[sledKey] ?? sledKey)
        return {
          label: `${name === undefined ? '' : `${name} · `}vmm ${shortId(lane.key)}`,
          caption: `VMM${sled === undefined ? '' : ` on ${sled}`}`,
          detail: `VMM (propolis) ${lane.key}${instance === undefined ? '' : `\ninstance ${instance}`}${sled === undefined ? '' : `\non ${sled}`}`,
        }
      }
      case 'sled':
        return { label: this.#index.names[lane.key] ?? lane.key, caption: 'sled', detail: `sled ${lane.key}` }
      default:
        return assertNever(lane.kind, 'lane kind')
    }
  }

  #lane(id: string, kind: LaneKind, key: string): string {
    if (!this.#lanes.has(id)) {
      this.#lanes.set(id, { id, kind, key, bands: BANDS[kind].map(([name, title]) => ({ name, title, segments: [] })), marks: [] })
    }
    return id
  }

  #tick(event: EventFields): number {
    const known = this.#tickOfSeq.get(event.seq)
    if (known !== undefined) return known
    const tick = this.#ticks.push({ at: event.at, seq: event.seq }) - 1
    this.#tickOfSeq.set(event.seq, tick)
    return tick
  }
}
