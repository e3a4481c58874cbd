// What an instance-update saga must do, decided from the instance, its active and target VMMs and its
// migration as read under the updater lock (omicron's `UpdatesRequired::for_instance`). Pure: the
// time to stamp comes in as an argument, and null means "nothing to do".
// Mirrors: omicron nexus/src/app/sagas/instance_update/mod.rs@b848b6d (`UpdatesRequired`).
// Simplification: no network configuration (NAT, V2P) and no Oximeter producer, so the decision
// carries no `network_config` and `deprovision` is a flag instead of the counters to subtract.
import type { PropolisUuid } from '../../sim/kernel/ids.ts'
import { nextGeneration, type MigrationState } from '../../sim/sled-agent/api/index.ts'
import { mayReincarnate } from '../db/background-queries.ts'
import type { InstanceGestalt } from '../db/instance-queries.ts'
import { instanceRuntimeOf, type InstanceIntendedState, type InstanceRuntime, type MigrationRecord, type VmmRecord } from '../db/records.ts'
import type { VmmRecordState } from '../types/vmm-record.ts'
import type { EpochMillis } from '../types/vmm-runtime-state.ts'
import { TERMINAL_VMM_STATES } from '../types/vmm-state.ts'

/** The reservations to swap once the target side reports the migration completed. */
export interface MigrationReservationSwap {
  /** The migrated-away source: its reservation becomes `tombstoned`. */
  readonly sourcePropolisId: PropolisUuid
  /** The new home: its reservation becomes `active`. */
  readonly targetPropolisId: PropolisUuid
}

/** One update to the instance and what it owns. JSON-shaped: it travels as the real saga's params. */
export interface UpdatesRequired {
  /** The runtime to commit: the snapshot's at generation + 1, stamped with the decision's time. */
  readonly newRuntime: InstanceRuntime
  /** `guest_shutdown` when the guest stopped itself (see step 1), else null (intent unchanged). */
  readonly newIntent: InstanceIntendedState | null
  /** The active VMM reached `destroyed` or `failed`: free its reservation and soft-delete it. */
  readonly destroyActiveVmm: PropolisUuid | null
  /** The migration target reached `destroyed` or `failed`: the same for it. */
  readonly destroyTargetVmm: PropolisUuid | null
  /** The instance has no active VMM after this update: release its virtual provisioning. */
  readonly deprovision: boolean
  readonly migrationReservationSwap: MigrationReservationSwap | null
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const isTerminalVmm = (state: VmmRecordState): boolean => (TERMINAL_VMM_STATES as readonly VmmRecordState[]).includes(state)
const eitherSide = (migration: MigrationRecord, state: MigrationState): boolean => migration.sourceState === state || migration.targetState === state
/** The snapshot has the migration's target VMM, linked as the instance's target. */
const isLinked = (targetVmm: VmmRecord | null, migration: MigrationRecord): boolean => targetVmm !== null && targetVmm.id === migration.targetPropolisId

/**
 * The update a locked snapshot calls for, or null if it calls for none. Steps, in order:
 * 1. a terminal active VMM (`destroyed`, `failed`; not `saga_unwound`) is unlinked and destroyed;
 * 2. a terminal target VMM likewise;
 * 3. a failed migration (either side) clears the migration and target ids; a completed one (either
 *    side) makes the target active, and once the target side reports it, clears the ids and swaps
 *    the reservations;
 * 4. with no active VMM left the instance becomes `failed` (if its active VMM failed) or `no_vmm`,
 *    and its provisioning is released.
 */
export function updatesRequiredFor(snapshot: InstanceGestalt, now: EpochMillis): UpdatesRequired | null {
  const { instance, activeVmm, targetVmm, migration } = snapshot
  const runtime: Mutable<InstanceRuntime> = { ...instanceRuntimeOf(instance), gen: nextGeneration(instance.gen), timeStateUpdated: now }
  let newIntent: InstanceIntendedState | null = null
  let required = false
  let activeFailed = false

  let destroyActiveVmm: PropolisUuid | null = null
  if (activeVmm !== null && isTerminalVmm(activeVmm.state)) {
    // If a migration out completed, step 3 points the instance at the target instead.
    runtime.activePropolisId = null
    destroyActiveVmm = activeVmm.id
    required = true
    if (activeVmm.state === 'failed') activeFailed = true
    // The guest shut itself down: it was meant to run and was not migrating out.
    else if (instance.intendedState === 'running' && migration === null) newIntent = 'guest_shutdown'
  }

  let destroyTargetVmm: PropolisUuid | null = null
  if (targetVmm !== null && isTerminalVmm(targetVmm.state)) {
    runtime.targetPropolisId = null
    destroyTargetVmm = targetVmm.id
    required = true
  }

  let migrationReservationSwap: MigrationReservationSwap | null = null
  if (migration !== null) {
    if (eitherSide(migration, 'failed')) {
      // Clearing the ids lets a new migration begin; the active VMM (if any) stays where it is.
      runtime.migrationId = null
      runtime.targetPropolisId = null
      required = true
    } else if (eitherSide(migration, 'completed') && !isLinked(targetVmm, migration)) {
      // Simplification: omicron `expect`s a linked target here and would panic. That happens only
      // if an earlier update unlinked a destroyed target before the target side reported; such a
      // migration can never move on, so its ids are cleared instead of failing every update (and
      // making the instance updater retry for ever).
      required = true
      runtime.migrationId = null
      runtime.targetPropolisId = null
    } else if (eitherSide(migration, 'completed')) {
      if (runtime.activePropolisId !== migration.targetPropolisId) {
        runtime.activePropolisId = migration.targetPropolisId
        required = true
      }
      // Migrated, and then the target went away too: as if the active VMM were destroyed.
      if (destroyTargetVmm !== null) {
        runtime.activePropolisId = null
        required = true
      }
      // Only the target's word ends the migration, so no migration out of the target can start
      // before the migration in has definitely finished.
      if (migration.targetState === 'completed') {
        runtime.migrationId = null
        runtime.targetPropolisId = null
        required = true
        if (destroyTargetVmm === null) {
          migrationReservationSwap = { sourcePropolisId: migration.sourcePropolisId, targetPropolisId: migration.targetPropolisId }
        }
      }
    }
  }

  // Not a reason to update on its own: there may simply have been no VMM already.
  const deprovision = runtime.activePropolisId === null
  if (deprovision) runtime.state = activeFailed ? 'failed' : 'no_vmm'

  if (!required) return null
  return { newRuntime: runtime, newIntent, destroyActiveVmm, destroyTargetVmm, deprovision, migrationReservationSwap }
}

/** A one-line account of an update, for the trace. */
export function describeUpdate(update: UpdatesRequired): string {
  const r = update.newRuntime
  const parts = [`state=${r.state}`, `gen=${r.gen}`, `active=${r.activePropolisId ?? 'none'}`, `target=${r.targetPropolisId ?? 'none'}`, `migration=${r.migrationId ?? 'none'}`]
  if (update.newIntent !== null) parts.push(`intent=${update.newIntent}`)
  if (update.destroyActiveVmm !== null) parts.push(`destroy_active=${update.destroyActiveVmm}`)
  if (update.destroyTargetVmm !== null) parts.push(`destroy_target=${update.destroyTargetVmm}`)
  if (update.deprovision) parts.push('deprovision')
  if (update.migrationReservationSwap !== null) parts.push('swap_reservations')
  return parts.join(' ')
}

/**
 * The hand-off once no further update is needed: the instance wants reincarnating (intent `running`,
 * and `failed` with no VMM or pointing at a `saga_unwound` VMM) and its policy and cooldown let it
 * happen now (omicron's `auto_restart_status(..).should_reincarnate()`).
 */
export function shouldReincarnate(snapshot: InstanceGestalt, now: EpochMillis): boolean {
  const { instance, activeVmm } = snapshot
  const failed = instance.state === 'failed' && instance.activePropolisId === null
  const unwound = instance.state === 'vmm' && activeVmm?.state === 'saga_unwound'
  return (failed || unwound) && mayReincarnate(instance, now)
}
