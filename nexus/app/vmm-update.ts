// The state intake: the only path by which a reported VMM state enters Nexus. A report (upcall,
// doorbell pull, the response of a sled-agent call, or a state Nexus synthesises) is written with
// its generation guards, and an instance-update saga is asked for when the report ends the VMM or
// one side of its migration. Mirrors: omicron nexus/src/app/instance.rs@b848b6d
// (`process_vmm_update`, `notify_vmm_updated`, `mark_vmm_failed`).
import type { InstanceUuid, PropolisUuid } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import { TERMINAL_MIGRATION_STATES, type MigrationState } from '../../sim/sled-agent/api/index.ts'
import type { Datastore } from '../db/datastore.ts'
import { DatastoreError } from '../db/datastore-error.ts'
import type { VmmRecord } from '../db/records.ts'
import { vmmRuntimeFromRecord } from '../types/vmm-record.ts'
import type { SledVmmState } from '../types/vmm-runtime-state.ts'
import { transitionVmmRuntime } from '../types/vmm-runtime-state.ts'
import { failedVmmState, isTerminal } from '../types/vmm-state.ts'
import type { VmmFailureReason } from '../types/vmm-failure-reason.ts'
import { conflict, gone, internalError, NexusApiError } from './errors.ts'

/** What one report did. */
export type VmmUpdateOutcome =
  /** Stale, equal or for a deleted row: nothing was written (and that is a success). */
  | { readonly kind: 'ignored'; readonly instanceId: InstanceUuid }
  /** Written; the instance's effective state follows from the VMM row alone. */
  | { readonly kind: 'recorded'; readonly instanceId: InstanceUuid }
  /** Written, and the VMM or one side of its migration ended: an instance-update saga must run. */
  | { readonly kind: 'needs_instance_update'; readonly instanceId: InstanceUuid }

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    'nexus.vmm_update': {
      readonly propolis: string
      readonly state: string
      readonly gen: number
      readonly outcome: VmmUpdateOutcome['kind']
      readonly migration_in: string | null
      readonly migration_out: string | null
    }
  }
}

const isTerminalMigration = (state: MigrationState) => (TERMINAL_MIGRATION_STATES as readonly MigrationState[]).includes(state)

/**
 * Writes one report (already converted to domain terms) and decides whether an update saga is
 * needed. Throws a `NexusApiError` for the refusals of the guarded write (409 self-migration, 410
 * deleted migration, 400 wrong side, 500 missing row).
 */
export function processVmmUpdate(db: Datastore, trace: Trace, propolisId: PropolisUuid, report: SledVmmState): VmmUpdateOutcome {
  let result
  try {
    result = db.vmmAndMigrationUpdateRuntime(propolisId, report)
  } catch (error) {
    throw nexusErrorFromDatastore(error)
  }
  const { foundVmm, vmmUpdated, migrationInUpdated, migrationOutUpdated } = result
  const instanceId = foundVmm.instanceId
  // Only the end of the VMM or of a migration side needs a saga; starting -> running and the like
  // change the instance's effective state through the VMM row alone.
  const needsSaga =
    (vmmUpdated && isTerminal(report.vmmState.state)) ||
    (migrationInUpdated && report.migrationIn !== null && isTerminalMigration(report.migrationIn.state)) ||
    (migrationOutUpdated && report.migrationOut !== null && isTerminalMigration(report.migrationOut.state))
  const anythingWritten = vmmUpdated || migrationInUpdated || migrationOutUpdated
  const outcome: VmmUpdateOutcome = { kind: needsSaga ? 'needs_instance_update' : anythingWritten ? 'recorded' : 'ignored', instanceId }
  trace.record('nexus.vmm_update', {
    propolis: propolisId,
    state: report.vmmState.state.state === 'failed' ? `failed(${report.vmmState.state.reason})` : report.vmmState.state.state,
    gen: report.vmmState.generation,
    outcome: outcome.kind,
    migration_in: report.migrationIn === null ? null : `${report.migrationIn.state}@${report.migrationIn.generation}`,
    migration_out: report.migrationOut === null ? null : `${report.migrationOut.state}@${report.migrationOut.generation}`,
  })
  return outcome
}

/**
 * The report Nexus synthesises when it decides a VMM has failed without the sled-agent saying so
 * (the watcher): the DB runtime moved to `failed(reason)` (gen + 1 unless it is already exactly
 * that), with null migrations, which means "do not touch them".
 */
export function synthesizedFailure(row: VmmRecord, reason: VmmFailureReason, now: number): SledVmmState {
  return { vmmState: transitionVmmRuntime(vmmRuntimeFromRecord(row), failedVmmState(reason), now), migrationIn: null, migrationOut: null }
}

/** A datastore refusal as the error an API caller (or the sled-agent's upcall) sees. */
export function nexusErrorFromDatastore(error: unknown): NexusApiError {
  if (!(error instanceof DatastoreError)) return internalError(String(error))
  switch (error.kind) {
    case 'not_found':
      return new NexusApiError(404, 'ObjectNotFound', error.message)
    case 'conflict':
      return conflict(error.message)
    case 'gone':
      return gone()
    case 'invalid_value':
      return new NexusApiError(400, 'InvalidValue', error.message)
    case 'internal':
      return internalError(error.message)
  }
}

