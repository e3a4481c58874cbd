// The write behind every VMM state report (upcall, pull, request response, synthesised failure):
// the VMM row and each reported migration side, each guarded by its own generation, in one
// transaction. Nothing is written unless every part is acceptable.
// Mirrors: omicron nexus/db-queries/src/db/datastore/vmm.rs and migration.rs@b848b6d
// (`vmm_and_migration_update_runtime`, `migration_update_{source,target}_on_connection`).
import type { PropolisUuid } from '../../sim/kernel/ids.ts'
import { isNewerGeneration } from '../../sim/sled-agent/api/index.ts'
import type { MigrationRuntimeState, SledVmmState } from '../types/vmm-runtime-state.ts'
import { DatastoreError } from './datastore-error.ts'
import type { MigrationRecord, VmmRecord } from './records.ts'
import type { Tables } from './tables.ts'
import { writeVmmRuntimeIfNewer } from './vmm-queries.ts'

/** 409 when one report names the same migration as both in and out. */
export const SELF_MIGRATION_MESSAGE = 'migrating from a VMM to itself is nonsensical'

export interface VmmAndMigrationUpdateResult {
  /** The VMM row as it was before this call. */
  readonly foundVmm: VmmRecord
  readonly vmmUpdated: boolean
  /** False when no migration in was reported or its target side was stale. */
  readonly migrationInUpdated: boolean
  /** False when no migration out was reported or its source side was stale. */
  readonly migrationOutUpdated: boolean
}

type Side = 'source' | 'target'

/**
 * Applies a `SledVmmState` (already in domain terms) for `propolisId`. Stale parts are skipped
 * silently; the rest throws a `DatastoreError`, writing nothing:
 * - 409 `conflict` if `migrationIn` and `migrationOut` name the same migration;
 * - 500 `internal` if the VMM row or a reported migration row does not exist;
 * - 410 `gone` if a reported migration row is soft-deleted;
 * - 400 `invalid_value` if this VMM is not the recorded source (for `migrationOut`) or target
 *   (for `migrationIn`) of the reported migration.
 */
export function vmmAndMigrationUpdateRuntime(t: Tables, propolisId: PropolisUuid, report: SledVmmState): VmmAndMigrationUpdateResult {
  const { migrationIn, migrationOut } = report
  if (migrationIn !== null && migrationOut !== null && migrationIn.migrationId === migrationOut.migrationId) {
    throw new DatastoreError('conflict', SELF_MIGRATION_MESSAGE)
  }
  const vmm = t.vmms.get(propolisId)
  if (vmm === undefined) {
    throw new DatastoreError('internal', `vmm and migration update failed: unexpected database error: no VMM row (vmm ${propolisId})`)
  }
  // Plan both migration writes before writing anything: omicron runs all three in one
  // transaction, so an error on either side leaves the VMM row untouched too.
  const out = migrationOut === null ? null : planSideWrite(t, propolisId, migrationOut, 'source')
  const into = migrationIn === null ? null : planSideWrite(t, propolisId, migrationIn, 'target')
  const vmmUpdated = writeVmmRuntimeIfNewer(t, vmm, report.vmmState)
  if (out !== null) t.putMigration(out, 'update')
  if (into !== null) t.putMigration(into, 'update')
  return { foundVmm: { ...vmm }, vmmUpdated, migrationInUpdated: into !== null, migrationOutUpdated: out !== null }
}

/** The migration row after writing one side, or null when that side is stale; throws when refused. */
function planSideWrite(t: Tables, propolisId: PropolisUuid, report: MigrationRuntimeState, side: Side): MigrationRecord | null {
  const row = t.migrations.get(report.migrationId)
  if (row === undefined) {
    throw new DatastoreError('internal', `vmm and migration update failed: unexpected database error: no migration row (migration ${report.migrationId})`)
  }
  const isThisVmm = (side === 'source' ? row.sourcePropolisId : row.targetPropolisId) === propolisId
  const storedGen = side === 'source' ? row.sourceGen : row.targetGen
  if (row.timeDeleted === null && isThisVmm && isNewerGeneration(report.generation, storedGen)) {
    return side === 'source'
      ? { ...row, sourceState: report.state, sourceGen: report.generation, timeSourceUpdated: report.timeUpdated }
      : { ...row, targetState: report.state, targetGen: report.generation, timeTargetUpdated: report.timeUpdated }
  }
  // Not written: say why, in omicron's order (deleted, then wrong VMM, else merely stale).
  if (row.timeDeleted !== null) throw DatastoreError.gone()
  if (!isThisVmm) throw DatastoreError.invalidValue(`${side} propolis UUID`, `${propolisId} is not the ${side} VMM of this migration`)
  return null
}
