// The state row of an instance lane: the external state a user would see, computed from the
// instance's `db.record` rows and its active VMM's row with Nexus's own rules, plus the record's
// generation (`running g3`). Unknown state words are shown as recorded.
import { effectiveInstanceState } from '../../nexus/types/effective-instance-state.ts'
import { INSTANCE_RECORD_STATES, type InstanceRecordState } from '../../nexus/types/instance-state.ts'
import { VMM_STATE_LABELS, type VmmStateLabel } from '../../nexus/types/vmm-state.ts'
import type { MigrationUuid } from '../../sim/kernel/ids.ts'
import { num, str, type EventFields } from './event-fields.ts'
import { activePropolisOf, targetPropolisOf } from './lane-index.ts'

interface InstanceRow {
  readonly state: string
  readonly gen: number | null
  readonly intended: string | null
  readonly active: string | null
  readonly target: string | null
  readonly migration: string | null
}

export interface InstanceStateView {
  readonly state: string
  readonly gen: number | null
  readonly title: string
}

/** Follows instance and VMM rows; says what each instance reads as after every write. */
export class InstanceStates {
  readonly #rows = new Map<string, InstanceRow>()
  readonly #vmms = new Map<string, { readonly state: string; readonly deleted: boolean }>()

  /** Takes an instance row; returns its instance's id. */
  instanceRow(row: EventFields): string | null {
    const id = str(row, 'id')
    const state = str(row, 'state')
    if (id === null || state === null) return null
    this.#rows.set(id, {
      state,
      gen: num(row, 'gen'),
      intended: str(row, 'intended_state'),
      active: activePropolisOf(row),
      target: targetPropolisOf(row),
      migration: str(row, 'migration_id'),
    })
    return id
  }

  /** Takes a VMM row; returns the instances whose active VMM it is (their state may have changed). */
  vmmRow(row: EventFields): string[] {
    const id = str(row, 'id')
    const state = str(row, 'state')
    if (id === null || state === null) return []
    this.#vmms.set(id, { state, deleted: isDeletion(row) })
    return [...this.#rows].filter(([, r]) => r.active === id).map(([instance]) => instance)
  }

  view(instance: string): InstanceStateView | null {
    const row = this.#rows.get(instance)
    if (row === undefined) return null
    const vmm = row.active === null ? undefined : this.#vmms.get(row.active)
    const effective = effectiveState(row, vmm)
    const parts = [
      `instance record: state=${row.state} gen=${row.gen ?? '?'}`,
      `intended=${row.intended ?? '?'} active=${row.active ?? 'none'} target=${row.target ?? 'none'} migration=${row.migration ?? 'none'}`,
      vmm === undefined ? 'no active VMM row' : `active VMM row: ${vmm.state}${vmm.deleted ? ' (deleted)' : ''}`,
    ]
    return { state: effective ?? row.state, gen: row.gen, title: `reads as ${effective ?? row.state}\n${parts.join('\n')}` }
  }
}

/** A row write that removes the record (hard or soft delete). */
export function isDeletion(row: EventFields): boolean {
  const deleted = row['time_deleted'] ?? row['deleted'] ?? null
  return /delet/i.test(str(row, 'op') ?? '') || (deleted !== null && deleted !== false)
}

function effectiveState(row: InstanceRow, vmm: { readonly state: string; readonly deleted: boolean } | undefined): string | null {
  if (!isRecordState(row.state)) return null
  if (vmm !== undefined && !isVmmState(vmm.state)) return null
  return effectiveInstanceState({
    instance: { state: row.state, migrationId: row.migration as MigrationUuid | null },
    activeVmm: vmm === undefined ? null : { state: vmm.state as VmmStateLabel, timeDeleted: vmm.deleted ? 0 : null },
  }).runState
}

function isRecordState(state: string): state is InstanceRecordState {
  return (INSTANCE_RECORD_STATES as readonly string[]).includes(state)
}

function isVmmState(state: string): state is VmmStateLabel {
  return (VMM_STATE_LABELS as readonly string[]).includes(state)
}
