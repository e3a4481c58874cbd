// The queries the background tasks list work with: the instance updater's three sweeps, the
// reincarnation task's two, the abandoned-VMM reaper's, and the instance watcher's. Listing only;
// acting is up to the task. Mirrors: omicron nexus/db-queries/src/db/datastore/{instance,vmm}.rs@b848b6d.
import type { InstanceRecordState } from '../types/instance-state.ts'
import { DEFAULT_AUTO_RESTART_COOLDOWN_MS } from '../types/instance-view.ts'
import type { VmmRecordState } from '../types/vmm-record.ts'
import type { EpochMillis } from '../types/vmm-runtime-state.ts'
import { NONEXISTENT_VMM_STATES } from '../types/vmm-state.ts'
import { TERMINAL_MIGRATION_STATES, type MigrationState } from '../../sim/sled-agent/api/index.ts'
import type { InstanceRecord, SledRecord, VmmRecord } from './records.ts'
import type { Tables } from './tables.ts'
import { isDestroyableRecordState } from './vmm-queries.ts'

/**
 * Live, unlocked instances whose live active VMM is in `state` (the updater asks for `destroyed`
 * and for `failed`).
 */
export function instanceFindByActiveVmmState(t: Tables, state: VmmRecordState): InstanceRecord[] {
  const rows: InstanceRecord[] = []
  for (const instance of t.instances.values()) {
    if (instance.timeDeleted !== null || instance.updaterId !== null || instance.activePropolisId === null) continue
    const vmm = t.vmms.get(instance.activePropolisId)
    if (vmm !== undefined && vmm.timeDeleted === null && vmm.state === state) rows.push({ ...instance })
  }
  return rows
}

/** Live, unlocked instances whose current migration is terminal on either side (deleted or not). */
export function instanceFindWithTerminatedMigrations(t: Tables): InstanceRecord[] {
  const terminal = (s: MigrationState): boolean => (TERMINAL_MIGRATION_STATES as readonly MigrationState[]).includes(s)
  const rows: InstanceRecord[] = []
  for (const instance of t.instances.values()) {
    if (instance.timeDeleted !== null || instance.updaterId !== null || instance.migrationId === null) continue
    const migration = t.migrations.get(instance.migrationId)
    if (migration !== undefined && (terminal(migration.sourceState) || terminal(migration.targetState))) rows.push({ ...instance })
  }
  return rows
}

/** Why an instance needs reincarnating: it is `failed`, or its start saga unwound (`saga_unwound` active VMM). */
export type ReincarnationReason = 'failed' | 'saga_unwound'

/**
 * Instances the reincarnation task should restart for `reason`, ordered by id: live, unlocked,
 * intent `running`, policy `best_effort` or default, and out of their cooldown at `now` (default
 * the store's clock).
 */
export function instanceFindReincarnatable(t: Tables, reason: ReincarnationReason, now: EpochMillis = t.now()): InstanceRecord[] {
  const wanted: InstanceRecordState = reason === 'failed' ? 'failed' : 'vmm'
  const rows: InstanceRecord[] = []
  for (const instance of t.instances.values()) {
    if (instance.state !== wanted || !mayReincarnate(instance, now)) continue
    if (reason === 'failed' && instance.activePropolisId !== null) continue
    if (reason === 'saga_unwound') {
      // Omicron's join here does not look at `vmm.time_deleted`.
      const vmm = instance.activePropolisId === null ? undefined : t.vmms.get(instance.activePropolisId)
      if (vmm === undefined || vmm.state !== 'saga_unwound') continue
    }
    rows.push({ ...instance })
  }
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** The shared filter of the reincarnation queries (`InstanceAutoRestart::filter_reincarnatable`). */
export function mayReincarnate(instance: InstanceRecord, now: EpochMillis): boolean {
  if (instance.timeDeleted !== null || instance.updaterId !== null || instance.intendedState !== 'running') return false
  if (instance.autoRestartPolicy === 'never') return false
  if (instance.timeLastAutoRestarted === null) return true
  return instance.timeLastAutoRestarted + (instance.autoRestartCooldownMs ?? DEFAULT_AUTO_RESTART_COOLDOWN_MS) <= now
}

/**
 * VMMs the abandoned-VMM reaper deletes: destroyable, not deleted, and pointed to by neither the
 * `activePropolisId` nor the `targetPropolisId` of their instance (deleted or not, or missing).
 */
export function vmmListAbandoned(t: Tables): VmmRecord[] {
  const rows: VmmRecord[] = []
  for (const vmm of t.vmms.values()) {
    if (vmm.timeDeleted !== null || !isDestroyableRecordState(vmm.state)) continue
    const instance = t.instances.get(vmm.instanceId)
    if (instance !== undefined && (instance.activePropolisId === vmm.id || instance.targetPropolisId === vmm.id)) continue
    rows.push({ ...vmm })
  }
  return rows
}

/** One VMM the instance watcher checks, with its sled and instance. */
export interface WatchedVmm {
  readonly sled: SledRecord
  readonly instance: InstanceRecord
  readonly vmm: VmmRecord
}

/**
 * What the instance watcher checks, ordered by (sled id, VMM id): every live VMM that may exist on
 * a sled (not `creating`, `saga_unwound` or `destroyed`), whatever it is to its instance, with `failed`
 * ones included.
 */
export function vmmListForWatcher(t: Tables): WatchedVmm[] {
  const rows: WatchedVmm[] = []
  for (const vmm of t.vmms.values()) {
    if (vmm.timeDeleted !== null || (NONEXISTENT_VMM_STATES as readonly VmmRecordState[]).includes(vmm.state)) continue
    const sled = t.sleds.get(vmm.sledId)
    const instance = t.instances.get(vmm.instanceId)
    if (sled === undefined || instance === undefined) continue
    rows.push({ sled: { ...sled }, instance: { ...instance }, vmm: { ...vmm } })
  }
  // Each row's key is built once: building it in the comparator cost more than the rest of the query.
  const keyed = rows.map((row) => ({ row, key: `${row.sled.id}/${row.vmm.id}` }))
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return keyed.map(({ row }) => row)
}
