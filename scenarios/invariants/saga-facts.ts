// Which sagas are still running or stuck, and which instance each one works on, read from the saga
// log. The per-instance checks skip an instance a saga is working on; a saga that names no instance
// makes them skip every instance, since it could be working on any.
import type { JsonValue, SagaRecord } from '../../nexus/db/records.ts'
import type { InvariantDb } from './invariant-db.ts'

/** A saga that stopped unwinding because an undo failed. */
export interface StuckSaga {
  readonly id: string
  readonly name: string
  readonly failedNode: string | null
  readonly undoFailedNode: string | null
  readonly instanceId: string | null
}

export interface SagaFacts {
  /** Instances a running saga works on. */
  readonly busyInstances: ReadonlySet<string>
  /** A running saga names no instance: per-instance checks cannot tell whom it touches. */
  readonly unattributedRunning: boolean
  readonly stuck: readonly StuckSaga[]
  /** Instances a stuck saga left wherever its unwinding halted (reported once, as the stuck saga). */
  readonly strandedInstances: ReadonlySet<string>
}

export function readSagaFacts(db: InvariantDb): SagaFacts {
  const view = db.readView()
  const busyInstances = new Set<string>()
  let unattributedRunning = false
  for (const { id } of view.sagas({ state: 'running' })) {
    const instanceId = instanceOfSaga(db.sagaGet(id as SagaRecord['id']))
    if (instanceId === null) unattributedRunning = true
    else busyInstances.add(instanceId)
  }
  const stuck: StuckSaga[] = []
  const strandedInstances = new Set<string>()
  for (const { id } of view.sagas({ state: 'stuck' })) {
    const row = db.sagaGet(id as SagaRecord['id'])
    if (row === null) continue
    const instanceId = instanceOfSaga(row)
    stuck.push({ id: row.id, name: row.name, failedNode: row.failedNode, undoFailedNode: row.undoFailedNode, instanceId })
    if (instanceId !== null) strandedInstances.add(instanceId)
  }
  return { busyInstances, unattributedRunning, stuck, strandedInstances }
}

/** True when a saga may be working on the instance, or a stuck one left it half undone. */
export function sagaHolds(facts: SagaFacts, instanceId: string): boolean {
  return facts.unattributedRunning || facts.busyInstances.has(instanceId) || facts.strandedInstances.has(instanceId)
}

/**
 * The instance a saga works on, from its params: `instanceId` (create, delete, both update sagas)
 * or `instance.id` (start, which carries the whole admitted record). Null for anything else.
 */
export function instanceOfSaga(row: SagaRecord | null): string | null {
  if (row === null) return null
  const params = asObject(row.params)
  if (params === null) return null
  const direct = params['instanceId']
  if (typeof direct === 'string') return direct
  const nested = asObject(params['instance'] ?? null)?.['id']
  return typeof nested === 'string' ? nested : null
}

function asObject(value: JsonValue): { readonly [key: string]: JsonValue } | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as { readonly [key: string]: JsonValue }) : null
}
