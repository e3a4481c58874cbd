// The effective (external) state of an instance, computed from its record and its active VMM row,
// never from a VMM state alone. Rules are tried in order and the first match wins; the rule number
// is returned so a caller (the invariant checker, a timeline) can tell the impossible rows apart.
// Mirrors: omicron nexus/db-queries InstanceStateComputer::compute_state@b848b6d.
import type { MigrationUuid } from '../../sim/kernel/ids.ts'
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InstanceRecordState, InstanceState } from './instance-state.ts'
import type { VmmRecordState } from './vmm-record.ts'
import type { EpochMillis } from './vmm-runtime-state.ts'

export interface EffectiveStateInput {
  readonly instance: { readonly state: InstanceRecordState; readonly migrationId: MigrationUuid | null }
  /**
   * The row named by `active_propolis_id`, or null. A soft-deleted row counts as no row, as the
   * join in omicron requires `vmm.time_deleted IS NULL`.
   */
  readonly activeVmm: { readonly state: VmmRecordState; readonly timeDeleted: EpochMillis | null } | null
}

/** Rows 1–14 of the table; 11, 12 and 14 are states the record constraints make impossible. */
export type EffectiveStateRule = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14

export interface EffectiveInstanceState {
  readonly runState: InstanceState
  readonly rule: EffectiveStateRule
  /** False for rows 11, 12 and 14, where omicron fires a debug assertion. */
  readonly consistent: boolean
}

const IMPOSSIBLE_RULES: readonly EffectiveStateRule[] = [11, 12, 14]

export function effectiveInstanceState(input: EffectiveStateInput): EffectiveInstanceState {
  const [runState, rule] = compute(input)
  return { runState, rule, consistent: !IMPOSSIBLE_RULES.includes(rule) }
}

function compute({ instance, activeVmm }: EffectiveStateInput): [InstanceState, EffectiveStateRule] {
  const vmm = activeVmm !== null && activeVmm.timeDeleted === null ? activeVmm.state : null
  switch (instance.state) {
    case 'vmm':
      if (vmm === null) return ['stopped', 11]
      // Rule 1 first: after a successful migration the source VMM may already be destroyed, and the
      // instance must read `migrating`, not flash `stopping`, until the update saga swaps VMMs.
      if (instance.migrationId !== null) return ['migrating', 1]
      return fromActiveVmm(vmm)
    case 'no_vmm':
      return vmm === null ? ['stopped', 10] : ['stopped', 12]
    case 'creating':
    case 'failed':
    case 'destroyed':
      return [instance.state, vmm === null ? 13 : 14]
    default:
      return assertNever(instance.state, 'instance record state')
  }
}

function fromActiveVmm(vmm: VmmRecordState): [InstanceState, EffectiveStateRule] {
  switch (vmm) {
    // The VMM is gone or going, but until an update saga unlinks it the instance still holds
    // virtual resources and cannot be started: it reads `stopping`.
    case 'stopped':
    case 'destroyed':
      return ['stopping', 2]
    case 'failed':
      return ['stopping', 3]
    // The start saga that made this VMM unwound; a new start may overwrite it, as from `failed`.
    case 'saga_unwound':
      return ['failed', 4]
    // A VMM still being created belongs to a start in progress.
    case 'creating':
    case 'starting':
      return ['starting', 5]
    case 'running':
      return ['running', 6]
    case 'stopping':
      return ['stopping', 7]
    case 'rebooting':
      return ['rebooting', 8]
    case 'migrating':
      return ['migrating', 9]
    default:
      return assertNever(vmm, 'vmm record state')
  }
}
