// The saga log: one row per saga (name, JSON params, state) with an append-only list of node events,
// which the saga executor writes as it goes and reads back to recover unfinished sagas after a Nexus
// crash. Params and outputs are stored as JSON, as steno stores them, so nothing live leaks in.
// Mirrors: steno's saga log as omicron persists it (nexus/db-queries datastore/saga.rs)@b848b6d.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { ShortId } from '../../sim/kernel/ids.ts'
import type { JsonValue, SagaNodeEvent, SagaRecord, SagaState } from './records.ts'
import type { Tables } from './tables.ts'

export interface SagaCreateParams {
  readonly id: ShortId
  readonly name: string
  /** Anything JSON can carry; stored as its JSON copy. */
  readonly params: unknown
}

/** Starts a saga's row in `running` with an empty log. A second create with the same id is a bug. */
export function sagaCreate(t: Tables, params: SagaCreateParams): SagaRecord {
  if (t.sagas.has(params.id)) throw new TypeError(`saga create failed: saga ${params.id} already exists`)
  const row: SagaRecord = {
    id: params.id,
    name: params.name,
    params: jsonCopy(params.params, `params of saga ${params.id}`),
    state: 'running',
    failedNode: null,
    undoFailedNode: null,
    timeCreated: t.now(),
    timeFinished: null,
    events: Object.freeze([]),
  }
  return copySaga(t.putSaga(row, 'insert'))
}

/** A node event as the executor reports it; the log stamps the time. */
export type SagaNodeEventInput =
  | { readonly kind: 'started' | 'undo_started' | 'undo_finished'; readonly node: string }
  /** `output` is anything JSON can carry (`undefined` is stored as null); it is stored as its JSON copy. */
  | { readonly kind: 'succeeded'; readonly node: string; readonly output: unknown }
  | { readonly kind: 'failed' | 'undo_failed'; readonly node: string; readonly error: string }

/** Appends one node event to a running saga's log. Appending to an unknown or finished saga is a bug. */
export function sagaAppendEvent(t: Tables, sagaId: ShortId, input: SagaNodeEventInput): SagaRecord {
  const row = runningSaga(t, sagaId, 'append event')
  const event = Object.freeze(eventFrom(input, t.now(), sagaId))
  return copySaga(t.putSaga({ ...row, events: Object.freeze([...row.events, event]) }, 'update'))
}

function eventFrom(input: SagaNodeEventInput, time: number, sagaId: ShortId): SagaNodeEvent {
  switch (input.kind) {
    case 'started':
    case 'undo_started':
    case 'undo_finished':
      return { kind: input.kind, node: input.node, time }
    case 'succeeded':
      // An action with nothing to return returns `undefined`; steno would store `()` as null.
      return { kind: 'succeeded', node: input.node, output: jsonCopy(input.output ?? null, `output of ${sagaId}/${input.node}`), time }
    case 'failed':
    case 'undo_failed':
      return { kind: input.kind, node: input.node, error: input.error, time }
    default:
      return assertNever(input, 'saga node event')
  }
}

/** How a saga ended. */
export type SagaFinish =
  | { readonly state: 'succeeded' }
  /** Every undo ran after `failedNode` failed. */
  | { readonly state: 'unwound'; readonly failedNode: string }
  /** `undoFailedNode`'s undo failed while unwinding from `failedNode`: unwinding stopped there. */
  | { readonly state: 'stuck'; readonly failedNode: string; readonly undoFailedNode: string }

/** Records how a running saga ended. Finishing an unknown or finished saga is a bug. */
export function sagaFinish(t: Tables, sagaId: ShortId, finish: SagaFinish): SagaRecord {
  const row = runningSaga(t, sagaId, 'finish')
  const failedNode = finish.state === 'succeeded' ? null : finish.failedNode
  const undoFailedNode = finish.state === 'stuck' ? finish.undoFailedNode : null
  return copySaga(t.putSaga({ ...row, state: finish.state, failedNode, undoFailedNode, timeFinished: t.now() }, 'update'))
}

export function sagaGet(t: Tables, sagaId: ShortId): SagaRecord | null {
  const row = t.sagas.get(sagaId)
  return row === undefined ? null : copySaga(row)
}

export interface SagaListFilter {
  readonly name?: string
  readonly state?: SagaState
}

/** Sagas in creation order; `{ state: 'running' }` is what recovery resumes. */
export function sagaList(t: Tables, filter: SagaListFilter = {}): SagaRecord[] {
  const rows: SagaRecord[] = []
  for (const row of t.sagas.values()) {
    if (filter.name !== undefined && row.name !== filter.name) continue
    if (filter.state !== undefined && row.state !== filter.state) continue
    rows.push(copySaga(row))
  }
  return rows
}

function runningSaga(t: Tables, sagaId: ShortId, operation: string): SagaRecord {
  const row = t.sagas.get(sagaId)
  if (row === undefined) throw new TypeError(`saga ${operation} failed: no saga ${sagaId}`)
  if (row.state !== 'running') throw new TypeError(`saga ${operation} failed: saga ${sagaId} is already ${row.state}`)
  return row
}

/** A deep, unfrozen copy, so a caller may do as it likes with what it reads. */
export function copySaga(row: SagaRecord): SagaRecord {
  return { ...row, params: copyJson(row.params), events: row.events.map((e) => copyJson(e)) }
}

// Everything the log stores is JSON (`jsonCopy` made it so), and copying JSON by hand is many
// times cheaper than `structuredClone`, which the executor would otherwise pay on every append.
function copyJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(copyJson) as T
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) copy[key] = copyJson((value as Record<string, unknown>)[key])
  return copy as T
}

/** The JSON image of `value`, deeply frozen; throws if `value` has no JSON form. */
function jsonCopy(value: unknown, what: string): JsonValue {
  const text = JSON.stringify(value)
  if (text === undefined) throw new TypeError(`saga log failed: ${what} is not JSON (${String(value)})`)
  const parsed: JsonValue = JSON.parse(text)
  return deepFreeze(parsed)
}

function deepFreeze(value: JsonValue): JsonValue {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
