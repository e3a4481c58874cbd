// Migration rows: idempotent insert (both sides `pending`, generation 1), lookups, the migrate
// saga's undo (both sides `failed`, each generation + 1), and soft delete. Side updates from sled
// reports live in `vmm-migration-update.ts`. Mirrors: omicron nexus/db-queries/src/db/datastore/migration.rs@b848b6d.
import type { InstanceUuid, MigrationUuid, PropolisUuid } from '../../sim/kernel/ids.ts'
import { INITIAL_GENERATION, nextGeneration } from '../../sim/sled-agent/api/index.ts'
import type { MigrationRecord } from './records.ts'
import type { Tables } from './tables.ts'

export interface MigrationInsertParams {
  readonly id: MigrationUuid
  readonly instanceId: InstanceUuid
  readonly sourcePropolisId: PropolisUuid
  readonly targetPropolisId: PropolisUuid
}

/** Inserts the row with both sides `pending` at generation 1; idempotent on id. */
export function migrationInsert(t: Tables, params: MigrationInsertParams): MigrationRecord {
  const existing = t.migrations.get(params.id)
  if (existing !== undefined) return { ...existing }
  const row: MigrationRecord = {
    id: params.id,
    instanceId: params.instanceId,
    sourcePropolisId: params.sourcePropolisId,
    targetPropolisId: params.targetPropolisId,
    sourceState: 'pending',
    sourceGen: INITIAL_GENERATION,
    timeSourceUpdated: null,
    targetState: 'pending',
    targetGen: INITIAL_GENERATION,
    timeTargetUpdated: null,
    timeCreated: t.now(),
    timeDeleted: null,
  }
  return { ...t.putMigration(row, 'insert') }
}

export function migrationGet(t: Tables, migrationId: MigrationUuid, options: { readonly includeDeleted?: boolean } = {}): MigrationRecord | null {
  const row = t.migrations.get(migrationId)
  if (row === undefined || (row.timeDeleted !== null && options.includeDeleted !== true)) return null
  return { ...row }
}

export interface MigrationListFilter {
  readonly instanceId?: InstanceUuid
  /** true: only soft-deleted rows; false: only live rows; absent: both. */
  readonly deleted?: boolean
}

/** Migration rows in insertion order. */
export function migrationList(t: Tables, filter: MigrationListFilter = {}): MigrationRecord[] {
  const rows: MigrationRecord[] = []
  for (const row of t.migrations.values()) {
    if (filter.instanceId !== undefined && row.instanceId !== filter.instanceId) continue
    if (filter.deleted !== undefined && (row.timeDeleted !== null) !== filter.deleted) continue
    rows.push({ ...row })
  }
  return rows
}

export type MigrationWriteOutcome =
  | { readonly kind: 'updated'; readonly migration: MigrationRecord }
  /** The row is soft-deleted; nothing written. */
  | { readonly kind: 'deleted' }
  | { readonly kind: 'not_found' }

/**
 * The migrate saga's undo: both sides `failed`, each side's generation + 1, both times now. Not
 * guarded by generation, so it is not idempotent in the generations (nor is omicron's).
 */
export function migrationMarkFailed(t: Tables, migrationId: MigrationUuid): MigrationWriteOutcome {
  const row = t.migrations.get(migrationId)
  if (row === undefined) return { kind: 'not_found' }
  if (row.timeDeleted !== null) return { kind: 'deleted' }
  const now = t.now()
  const next: MigrationRecord = {
    ...row,
    sourceState: 'failed',
    sourceGen: nextGeneration(row.sourceGen),
    timeSourceUpdated: now,
    targetState: 'failed',
    targetGen: nextGeneration(row.targetGen),
    timeTargetUpdated: now,
  }
  return { kind: 'updated', migration: { ...t.putMigration(next, 'update') } }
}

/** Soft-deletes one migration row. */
export function migrationMarkDeleted(t: Tables, migrationId: MigrationUuid): MigrationWriteOutcome {
  const row = t.migrations.get(migrationId)
  if (row === undefined) return { kind: 'not_found' }
  if (row.timeDeleted !== null) return { kind: 'deleted' }
  return { kind: 'updated', migration: { ...t.putMigration({ ...row, timeDeleted: t.now() }, 'update') } }
}

/** Instance delete: soft-deletes every live migration of the instance; returns how many. */
export function migrationMarkDeletedForInstance(t: Tables, instanceId: InstanceUuid): number {
  const now = t.now()
  let count = 0
  for (const row of [...t.migrations.values()]) {
    if (row.instanceId !== instanceId || row.timeDeleted !== null) continue
    t.putMigration({ ...row, timeDeleted: now }, 'update')
    count += 1
  }
  return count
}
