// Instance states in two layers: the record's `instance_state_v2` (five values) and the external
// API's `InstanceState` (ten values). The external state of a live instance comes only from
// `effectiveInstanceState`; the direct mapping here is for an instance that has no VMM row.
// Mirrors: omicron nexus/db-model/src/instance_state.rs and common/src/api/external@b848b6d.
import { assertNever } from '../../sim/kernel/assert-never.ts'

/** SQL enum `instance_state_v2`. */
export const INSTANCE_RECORD_STATES = ['creating', 'no_vmm', 'vmm', 'failed', 'destroyed'] as const
export type InstanceRecordState = (typeof INSTANCE_RECORD_STATES)[number]

/** Instance states with no VMM incarnated (`NOT_INCARNATED_STATES`). */
export const NOT_INCARNATED_INSTANCE_STATES = ['no_vmm', 'creating', 'failed'] as const satisfies readonly InstanceRecordState[]

/** External `InstanceState` (snake_case on the wire, Display uses the same words). */
export const INSTANCE_STATES = [
  'creating',
  'starting',
  'running',
  'stopping',
  'stopped',
  'rebooting',
  'migrating',
  'repairing',
  'failed',
  'destroyed',
] as const
export type InstanceState = (typeof INSTANCE_STATES)[number]

const RECORD_STATE_LABELS = {
  creating: 'creating',
  no_vmm: 'no_VMM',
  vmm: 'VMM',
  failed: 'failed',
  destroyed: 'destroyed',
} as const satisfies Record<InstanceRecordState, string>

/** The record state's Display label (`no_VMM`, `VMM`): for logs and omdb, never for users. */
export function instanceRecordStateLabel(state: InstanceRecordState): string {
  return RECORD_STATE_LABELS[state]
}

/** Parses a record state label case-insensitively (`no_VMM`, `NO_VMM` and `no_vmm` all parse). */
export function instanceRecordStateFromLabel(label: string): InstanceRecordState | undefined {
  const lower = label.toLowerCase()
  return INSTANCE_RECORD_STATES.find((s) => s === lower)
}

/**
 * The external state an instance record maps to on its own, used only when the instance has no VMM
 * row (and by delete's messages, which omicron builds from it).
 */
export function instanceStateFromRecordState(state: InstanceRecordState): InstanceState {
  switch (state) {
    case 'creating':
      return 'creating'
    case 'no_vmm':
      return 'stopped'
    // Never reached for a consistent row: `vmm` always has an active VMM, whose state decides.
    case 'vmm':
      return 'running'
    case 'failed':
      return 'failed'
    case 'destroyed':
      return 'destroyed'
    default:
      return assertNever(state, 'instance record state')
  }
}
