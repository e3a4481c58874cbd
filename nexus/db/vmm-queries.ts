// VMM rows: idempotent insert, lookups, the generation-guarded runtime write (the sled-agent owns
// the generation), the start/migrate sagas' unconditional `saga_unwound`, and soft delete.
// Mirrors: omicron nexus/db-queries/src/db/datastore/vmm.rs@b848b6d.
import type { InstanceUuid, PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { INITIAL_GENERATION, isNewerGeneration, nextGeneration } from '../../sim/sled-agent/api/index.ts'
import { vmmRuntimeRecordFromDomain, type VmmRecordState } from '../types/vmm-record.ts'
import type { VmmRuntimeState } from '../types/vmm-runtime-state.ts'
import { DESTROYABLE_VMM_STATES } from '../types/vmm-state.ts'
import { DatastoreError } from './datastore-error.ts'
import { DEFAULT_PROPOLIS_PORT, type VmmCpuPlatform, type VmmRecord } from './records.ts'
import type { Tables } from './tables.ts'

/** What the start or migrate saga knows when it creates the VMM row. */
export interface VmmInsertParams {
  readonly id: PropolisUuid
  readonly instanceId: InstanceUuid
  readonly sledId: SledUuid
  readonly propolisIp: string
  /** Default 12400. */
  readonly propolisPort?: number
  readonly cpuPlatform: VmmCpuPlatform
}

/**
 * Inserts the row in `creating`, generation 1, no failure reason. Idempotent on id: a replayed
 * action gets the row as it is now, whatever happened to it since.
 */
export function vmmInsert(t: Tables, params: VmmInsertParams): VmmRecord {
  const existing = t.vmms.get(params.id)
  if (existing !== undefined) return { ...existing }
  const now = t.now()
  const row: VmmRecord = {
    id: params.id,
    instanceId: params.instanceId,
    sledId: params.sledId,
    propolisIp: params.propolisIp,
    propolisPort: params.propolisPort ?? DEFAULT_PROPOLIS_PORT,
    cpuPlatform: params.cpuPlatform,
    state: 'creating',
    failureReason: null,
    gen: INITIAL_GENERATION,
    timeStateUpdated: now,
    timeCreated: now,
    timeDeleted: null,
  }
  return { ...t.putVmm(row, 'insert') }
}

/** A live VMM row (as omicron's `vmm_fetch`), or any row with `includeDeleted`. */
export function vmmGet(t: Tables, propolisId: PropolisUuid, options: { readonly includeDeleted?: boolean } = {}): VmmRecord | null {
  const row = t.vmms.get(propolisId)
  if (row === undefined || (row.timeDeleted !== null && options.includeDeleted !== true)) return null
  return { ...row }
}

export interface VmmListFilter {
  readonly instanceId?: InstanceUuid
  readonly sledId?: SledUuid
  readonly state?: VmmRecordState
  /** true: only soft-deleted rows; false: only live rows; absent: both. */
  readonly deleted?: boolean
}

/** VMM rows matching every given field, in insertion order. */
export function vmmList(t: Tables, filter: VmmListFilter = {}): VmmRecord[] {
  const rows: VmmRecord[] = []
  for (const row of t.vmms.values()) {
    if (filter.instanceId !== undefined && row.instanceId !== filter.instanceId) continue
    if (filter.sledId !== undefined && row.sledId !== filter.sledId) continue
    if (filter.state !== undefined && row.state !== filter.state) continue
    if (filter.deleted !== undefined && (row.timeDeleted !== null) !== filter.deleted) continue
    rows.push({ ...row })
  }
  return rows
}

export interface VmmUpdateResult {
  /** False when the row is soft-deleted or its stored generation is equal or newer. */
  readonly updated: boolean
  /** The row as it was before this call. */
  readonly before: VmmRecord
}

/**
 * Writes state, failure reason, generation and time if the row is live and `stored gen <
 * runtime.generation`. A missing row is an error (404 `not_found`); a stale or deleted one is not.
 */
export function vmmUpdateRuntime(t: Tables, propolisId: PropolisUuid, runtime: VmmRuntimeState): VmmUpdateResult {
  const row = t.vmms.get(propolisId)
  if (row === undefined) throw new DatastoreError('not_found', `not found: vmm with id "${propolisId}"`)
  return { updated: writeVmmRuntimeIfNewer(t, row, runtime), before: { ...row } }
}

/** The guarded VMM write shared with `vmmAndMigrationUpdateRuntime`; true if it wrote. */
export function writeVmmRuntimeIfNewer(t: Tables, row: VmmRecord, runtime: VmmRuntimeState): boolean {
  if (row.timeDeleted !== null || !isNewerGeneration(runtime.generation, row.gen)) return false
  const columns = vmmRuntimeRecordFromDomain(runtime)
  t.putVmm(
    { ...row, state: columns.state, failureReason: columns.failureReason, gen: columns.gen, timeStateUpdated: columns.timeStateUpdated },
    'update',
  )
  return true
}

export type MarkSagaUnwoundOutcome =
  | { readonly kind: 'marked'; readonly vmm: VmmRecord }
  /** The row is soft-deleted; nothing written. */
  | { readonly kind: 'deleted' }
  | { readonly kind: 'not_found' }

/**
 * `saga_unwound`, generation + 1, time now, whatever the stored generation: only the saga that
 * created the VMM may call this, from its undo.
 */
export function vmmMarkSagaUnwound(t: Tables, propolisId: PropolisUuid): MarkSagaUnwoundOutcome {
  const row = t.vmms.get(propolisId)
  if (row === undefined) return { kind: 'not_found' }
  if (row.timeDeleted !== null) return { kind: 'deleted' }
  // Clearing the reason keeps `failure_reason_iff_failed` if a sled already reported `failed`.
  const next: VmmRecord = { ...row, state: 'saga_unwound', failureReason: null, gen: nextGeneration(row.gen), timeStateUpdated: t.now() }
  return { kind: 'marked', vmm: { ...t.putVmm(next, 'update') } }
}

export type MarkDeletedOutcome =
  | { readonly kind: 'deleted'; readonly vmm: VmmRecord }
  | { readonly kind: 'already_deleted' }
  /** The state is not destroyable (`destroyed`, `failed`, `saga_unwound`); nothing written. */
  | { readonly kind: 'not_destroyable'; readonly state: VmmRecordState }
  | { readonly kind: 'not_found' }

/** Soft-deletes the row, only while its state is destroyable. */
export function vmmMarkDeleted(t: Tables, propolisId: PropolisUuid): MarkDeletedOutcome {
  const row = t.vmms.get(propolisId)
  if (row === undefined) return { kind: 'not_found' }
  if (row.timeDeleted !== null) return { kind: 'already_deleted' }
  if (!isDestroyableRecordState(row.state)) return { kind: 'not_destroyable', state: row.state }
  return { kind: 'deleted', vmm: { ...t.putVmm({ ...row, timeDeleted: t.now() }, 'update') } }
}

export function isDestroyableRecordState(state: VmmRecordState): boolean {
  return (DESTROYABLE_VMM_STATES as readonly VmmRecordState[]).includes(state)
}
