// The instance writes that only one actor may make (omicron-model.md §4.8): the start saga's "set
// active VMM", the migrate saga's "set migration ids", the stop of a failed instance, and delete.
// Each checks its precondition and writes in one step, as omicron's single conditional statements do.
// Mirrors: omicron nexus/db-queries/src/db/datastore/instance.rs and sagas/instance_start.rs@b848b6d.
import type { InstanceUuid, MigrationUuid, PropolisUuid } from '../../sim/kernel/ids.ts'
import { nextGeneration, type Generation } from '../../sim/sled-agent/api/index.ts'
import { instanceStateFromRecordState } from '../types/instance-state.ts'
import { instanceAffinityMembershipsDelete } from './affinity-queries.ts'
import { DatastoreError } from './datastore-error.ts'
import type { InstanceRecord } from './records.ts'
import type { Tables } from './tables.ts'

/** 409 when the start saga finds another live VMM already active. */
export const START_RACE_MESSAGE = 'instance changed state before it could be started'
/** 409 when `set migration ids` cannot claim the instance. */
export const MIGRATION_IN_PROGRESS_MESSAGE = 'another migration is already in progress'
/** 409 when a failed instance changed before its stop could be written. */
export const STOP_RACE_MESSAGE =
  "The instance was previously in a state that allowed the requested state change, but the instance's state changed before the request could be completed"
/** 400 when delete finds an active VMM. */
export const DELETE_ACTIVE_VMM_MESSAGE = 'cannot delete instance: instance is running or has not yet fully stopped'

export interface SetActiveVmmParams {
  /** The VMM the start saga created (already inserted, in `creating`). */
  readonly propolisId: PropolisUuid
  /** True for a start with reason AutoRestart: stamps `timeLastAutoRestarted = now`. */
  readonly stampAutoRestart: boolean
}

export type SetActiveVmmOutcome =
  | { readonly kind: 'set'; readonly instance: InstanceRecord }
  /** This VMM is already the active one: a replayed action. Nothing written. */
  | { readonly kind: 'already_active'; readonly instance: InstanceRecord }
  /** Another live VMM, not `saga_unwound`, is active. */
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'not_found' }

/**
 * The start saga's MARK_AS_STARTING: makes `propolisId` the active VMM (state `vmm`, gen + 1) if
 * there is no live active VMM or the active one is `saga_unwound`, whose id is simply overwritten.
 */
export function instanceSetActiveVmm(t: Tables, instanceId: InstanceUuid, params: SetActiveVmmParams): SetActiveVmmOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  if (row.activePropolisId === params.propolisId) return { kind: 'already_active', instance: { ...row } }
  const vmm = t.vmms.get(params.propolisId)
  if (vmm === undefined || vmm.instanceId !== instanceId) {
    throw new DatastoreError('internal', `set active vmm failed: vmm ${params.propolisId} is not a VMM of this instance (instance ${instanceId})`)
  }
  // The join in omicron skips soft-deleted VMM rows: a deleted active VMM counts as none.
  const active = row.activePropolisId === null ? undefined : t.vmms.get(row.activePropolisId)
  if (active !== undefined && active.timeDeleted === null && active.state !== 'saga_unwound') {
    return { kind: 'conflict', message: START_RACE_MESSAGE }
  }
  const now = t.now()
  const updated = t.putInstance(
    {
      ...row,
      state: 'vmm',
      activePropolisId: params.propolisId,
      gen: nextGeneration(row.gen),
      timeStateUpdated: now,
      timeLastAutoRestarted: params.stampAutoRestart ? now : row.timeLastAutoRestarted,
    },
    'update',
  )
  return { kind: 'set', instance: { ...updated } }
}

export interface SetMigrationIdsParams {
  /** The active VMM the instance migrates out of. */
  readonly srcPropolisId: PropolisUuid
  readonly migrationId: MigrationUuid
  readonly targetPropolisId: PropolisUuid
}

export type SetMigrationIdsOutcome = { readonly kind: 'set'; readonly instance: InstanceRecord } | { readonly kind: 'conflict'; readonly message: string }

/** The only active-VMM states a migration may start from. */
const MIGRATABLE_VMM_STATES: readonly string[] = ['running', 'rebooting']

/**
 * The migrate saga's SET_MIGRATION_IDS: sets `migrationId` and `targetPropolisId` (gen + 1) if the
 * live source VMM is the active one and `running` or `rebooting`, and the ids are empty, already
 * these values, or left behind by an unwound migrate saga (target `saga_unwound`, migration failed
 * on both sides). Any failure, a missing instance included, is omicron's one 409.
 */
export function instanceSetMigrationIds(t: Tables, instanceId: InstanceUuid, params: SetMigrationIdsParams): SetMigrationIdsOutcome {
  const conflict = { kind: 'conflict', message: MIGRATION_IN_PROGRESS_MESSAGE } as const
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null || row.activePropolisId !== params.srcPropolisId) return conflict
  const source = t.vmms.get(params.srcPropolisId)
  if (source === undefined || source.timeDeleted !== null || source.instanceId !== instanceId || !MIGRATABLE_VMM_STATES.includes(source.state)) {
    return conflict
  }
  const empty = row.migrationId === null && row.targetPropolisId === null
  const same = row.migrationId === params.migrationId && row.targetPropolisId === params.targetPropolisId
  if (!empty && !same && !leftByUnwoundMigration(t, row)) return conflict
  const updated = t.putInstance(
    {
      ...row,
      migrationId: params.migrationId,
      targetPropolisId: params.targetPropolisId,
      gen: nextGeneration(row.gen),
      timeStateUpdated: t.now(),
    },
    'update',
  )
  return { kind: 'set', instance: { ...updated } }
}

// Soft-deleted rows count here: a target VMM that was (wrongly) deleted while still linked should
// not make the ids unclobberable for ever.
function leftByUnwoundMigration(t: Tables, row: InstanceRecord): boolean {
  const target = row.targetPropolisId === null ? undefined : t.vmms.get(row.targetPropolisId)
  const migration = row.migrationId === null ? undefined : t.migrations.get(row.migrationId)
  return (
    target !== undefined &&
    target.instanceId === row.id &&
    target.state === 'saga_unwound' &&
    migration !== undefined &&
    migration.instanceId === row.id &&
    migration.sourceState === 'failed' &&
    migration.targetState === 'failed'
  )
}

export type StopFailedOutcome =
  | { readonly kind: 'stopped'; readonly instance: InstanceRecord }
  /** The instance moved on since the caller saw it `failed` at `observedGen`. */
  | { readonly kind: 'conflict'; readonly message: string }
  | { readonly kind: 'not_found' }

/**
 * Stop of a `failed` instance with no VMM: writes `no_vmm` with gen + 1 and no saga, guarded by the
 * generation the caller observed (omicron's `instance_update_runtime` with `prev.gen + 1`).
 */
export function instanceStopFailed(t: Tables, instanceId: InstanceUuid, observedGen: Generation): StopFailedOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  // `stored < observed + 1` with generations that never decrease is `stored == observed`.
  if (row.gen !== observedGen || row.state !== 'failed') return { kind: 'conflict', message: STOP_RACE_MESSAGE }
  const updated = t.putInstance({ ...row, state: 'no_vmm', gen: nextGeneration(row.gen), timeStateUpdated: t.now() }, 'update')
  return { kind: 'stopped', instance: { ...updated } }
}

export type MarkDestroyedOutcome =
  | { readonly kind: 'destroyed'; readonly instance: InstanceRecord }
  /** 400: the instance still has an active VMM. */
  | { readonly kind: 'has_active_vmm'; readonly message: string }
  /** 400: the instance is in a state that cannot be deleted (`creating`). */
  | { readonly kind: 'wrong_state'; readonly message: string }
  /** Missing or already deleted. */
  | { readonly kind: 'not_found' }

/**
 * Delete: only from `no_vmm` or `failed` with no active VMM. Sets `state = destroyed` and
 * `time_deleted` (the state generation is not bumped, as in omicron) and drops the instance's
 * affinity and anti-affinity group memberships.
 */
export function instanceMarkDestroyed(t: Tables, instanceId: InstanceUuid): MarkDestroyedOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  if (row.activePropolisId !== null) return { kind: 'has_active_vmm', message: DELETE_ACTIVE_VMM_MESSAGE }
  if (row.state !== 'no_vmm' && row.state !== 'failed') {
    // Omicron words this with the record's direct external mapping, not the effective state.
    return { kind: 'wrong_state', message: `instance cannot be deleted in state "${instanceStateFromRecordState(row.state)}"` }
  }
  const updated = t.putInstance({ ...row, state: 'destroyed', timeDeleted: t.now() }, 'update')
  // `project_delete_instance` then drops the instance from its affinity and anti-affinity groups.
  instanceAffinityMembershipsDelete(t, instanceId)
  return { kind: 'destroyed', instance: { ...updated } }
}
