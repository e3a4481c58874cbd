// Domain <-> record for a VMM's runtime columns. The record is flat again (state and
// failure_reason are separate columns, tied by the CHECK `failure_reason_iff_failed`), so these
// conversions are where a reason is split off and put back. Mirrors: omicron
// nexus/db-model/src/vmm.rs and vmm_state.rs@b848b6d.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { Generation } from '../../sim/sled-agent/api/index.ts'
import type { VmmFailureReason } from './vmm-failure-reason.ts'
import type { EpochMillis, VmmRuntimeState } from './vmm-runtime-state.ts'
import { failedVmmState, vmmState, type VmmState, type VmmStateLabel } from './vmm-state.ts'

/** The DB `vmm_state` enum: the same ten labels as the domain states. */
export type VmmRecordState = VmmStateLabel

/** The runtime columns of a `vmm` row (`state`, `failure_reason`, `state_generation`, `time_state_updated`). */
export interface VmmRuntimeRecord {
  readonly state: VmmRecordState
  readonly failureReason: VmmFailureReason | null
  readonly gen: Generation
  readonly timeStateUpdated: EpochMillis
}

export class RecordConstraintError extends Error {
  override readonly name = 'RecordConstraintError'
}

/** Domain -> columns: `failed(r)` writes state `failed` with reason `r`; everything else a NULL reason. */
export function vmmRuntimeRecordFromDomain(runtime: VmmRuntimeState): VmmRuntimeRecord {
  const { state } = runtime
  return {
    state: state.state,
    failureReason: state.state === 'failed' ? state.reason : null,
    gen: runtime.generation,
    timeStateUpdated: runtime.timeUpdated,
  }
}

/** Columns -> domain (omicron's `Vmm::runtime()`). */
export function vmmRuntimeFromRecord(record: VmmRuntimeRecord): VmmRuntimeState {
  return {
    state: vmmStateFromRecord(record.state, record.failureReason),
    generation: record.gen,
    timeUpdated: record.timeStateUpdated,
  }
}

/**
 * State and reason columns -> domain. A failed row with a NULL reason predates reason tracking and
 * reads as `failed(prehistoric)`; a reason on any other state breaks `failure_reason_iff_failed`.
 */
export function vmmStateFromRecord(state: VmmRecordState, failureReason: VmmFailureReason | null): VmmState {
  switch (state) {
    case 'failed':
      return failedVmmState(failureReason ?? 'prehistoric')
    case 'creating':
    case 'starting':
    case 'running':
    case 'stopping':
    case 'stopped':
    case 'rebooting':
    case 'migrating':
    case 'destroyed':
    case 'saga_unwound':
      if (failureReason !== null) {
        throw new RecordConstraintError(
          `read vmm record failed: state '${state}' has failure reason '${failureReason}' (failure_reason_iff_failed)`,
        )
      }
      return vmmState(state)
    default:
      return assertNever(state, 'vmm record state')
  }
}

/**
 * A bare state label -> domain, for evaluating predicates and labels only: `failed` becomes
 * `failed(prehistoric)` because the label alone carries no reason.
 */
export function vmmStateFromRecordState(state: VmmRecordState): VmmState {
  return vmmStateFromRecord(state, null)
}
