// The instance-updater lock: `updater_id` names the holder and `updater_gen` is bumped on every
// lock, inheritance and release, so each is a compare-and-swap. The commit writes the new runtime
// and releases the lock in one step. Mirrors: omicron nexus/db-queries/src/db/datastore/instance.rs@b848b6d
// (`instance_updater_lock`, `_inherit_lock`, `_unlock`, `instance_commit_update`).
import type { InstanceUuid, UpdaterUuid } from '../../sim/kernel/ids.ts'
import { isNewerGeneration, nextGeneration, type Generation } from '../../sim/sled-agent/api/index.ts'
import { DatastoreError } from './datastore-error.ts'
import { withRuntime } from './instance-queries.ts'
import type { InstanceIntendedState, InstanceRecord, InstanceRuntime } from './records.ts'
import type { Tables } from './tables.ts'

/** Proof of holding the lock: the holder and the `updater_gen` at which it took the lock. */
export interface UpdaterLock {
  readonly updaterId: UpdaterUuid
  readonly updaterGen: Generation
}

/** 409 when the state generation moved while the update saga held the lock. */
export const STATE_CHANGED_MESSAGE = 'instance state has changed'

export type TryLockOutcome =
  /** Taken now, or already held by this updater (then at the generation it was taken at). */
  | { readonly kind: 'locked'; readonly lock: UpdaterLock }
  | { readonly kind: 'already_locked_by_other'; readonly holder: UpdaterUuid }
  /** Missing or deleted: the update saga must fail rather than retry (omicron#10784). */
  | { readonly kind: 'not_found' }

/** Try-lock: never waits. Idempotent for the same holder, which does not bump the generation again. */
export function instanceTryLock(t: Tables, instanceId: InstanceUuid, updaterId: UpdaterUuid): TryLockOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  if (row.updaterId === updaterId) return { kind: 'locked', lock: { updaterId, updaterGen: row.updaterGen } }
  if (row.updaterId !== null) return { kind: 'already_locked_by_other', holder: row.updaterId }
  const updated = t.putInstance({ ...row, updaterId, updaterGen: nextGeneration(row.updaterGen) }, 'update')
  return { kind: 'locked', lock: { updaterId, updaterGen: updated.updaterGen } }
}

export type InheritLockOutcome =
  | { readonly kind: 'inherited'; readonly lock: UpdaterLock }
  | { readonly kind: 'already_locked_by_other'; readonly holder: UpdaterUuid | null }
  | { readonly kind: 'not_found' }

/**
 * Hands the lock from the parent (start-instance-update) saga to the child that does the work: a
 * compare-and-swap from the parent's id and generation to `childId` at generation + 1. Idempotent.
 */
export function instanceInheritLock(
  t: Tables,
  instanceId: InstanceUuid,
  parentId: UpdaterUuid,
  parentGen: Generation,
  childId: UpdaterUuid,
): InheritLockOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  if (row.updaterId === parentId && row.updaterGen === parentGen) {
    const updated = t.putInstance({ ...row, updaterId: childId, updaterGen: nextGeneration(parentGen) }, 'update')
    return { kind: 'inherited', lock: { updaterId: childId, updaterGen: updated.updaterGen } }
  }
  if (row.updaterId === childId) return { kind: 'inherited', lock: { updaterId: childId, updaterGen: row.updaterGen } }
  return { kind: 'already_locked_by_other', holder: row.updaterId }
}

export type UnlockOutcome =
  | { readonly kind: 'unlocked'; readonly instance: InstanceRecord }
  /** Not held by this lock (already released, taken by someone else since, or the instance is deleted): fine on unwind. */
  | { readonly kind: 'not_held' }
  | { readonly kind: 'not_found' }

/** Releases the lock if (and only if) `updaterId` holds it at `updaterGen`. For unwinding. */
export function instanceUnlock(t: Tables, instanceId: InstanceUuid, updaterId: UpdaterUuid, updaterGen: Generation): UnlockOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined) return { kind: 'not_found' }
  if (row.timeDeleted !== null || row.updaterId !== updaterId) return { kind: 'not_held' }
  if (row.updaterGen !== updaterGen) {
    // Holding the lock at another generation means the caller's token is not the one it took.
    throw new DatastoreError('internal', `instance unlock failed: instance is locked by this saga, but at a different generation (instance ${instanceId})`)
  }
  const updated = t.putInstance({ ...row, updaterId: null, updaterGen: nextGeneration(row.updaterGen) }, 'update')
  return { kind: 'unlocked', instance: { ...updated } }
}

export type CommitOutcome =
  | { readonly kind: 'committed'; readonly instance: InstanceRecord }
  /** Both the lock and the state generation moved on: a replay of a commit that already landed. */
  | { readonly kind: 'already_committed' }
  /** Still locked by this saga, but the state generation moved: the update is invalid (409); unwind. */
  | { readonly kind: 'stale'; readonly message: string }
  /** The lock is not this saga's (held by another, or not held): omicron's 500. */
  | { readonly kind: 'lock_lost'; readonly message: string }
  /** Missing or deleted. */
  | { readonly kind: 'not_found' }

/**
 * Writes `runtime` (and the intended state, if given) and releases the lock in one step, guarded
 * by the lock holder, the lock generation, and `stored gen < runtime.gen`.
 */
export function instanceCommitUpdateAndUnlock(
  t: Tables,
  instanceId: InstanceUuid,
  updaterId: UpdaterUuid,
  updaterGen: Generation,
  runtime: InstanceRuntime,
  intendedState?: InstanceIntendedState,
): CommitOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  const lockHeld = row.updaterId === updaterId && row.updaterGen === updaterGen
  if (lockHeld && isNewerGeneration(runtime.gen, row.gen)) {
    const next: InstanceRecord = {
      ...withRuntime(row, runtime),
      intendedState: intendedState ?? row.intendedState,
      updaterId: null,
      updaterGen: nextGeneration(row.updaterGen),
    }
    return { kind: 'committed', instance: { ...t.putInstance(next, 'update') } }
  }
  // The generation the row had when the saga took its snapshot (the saga writes snapshot + 1).
  const snapshotGen = runtime.gen - 1
  if (row.gen !== snapshotGen && row.updaterGen !== updaterGen) return { kind: 'already_committed' }
  if (row.gen !== snapshotGen && lockHeld) return { kind: 'stale', message: STATE_CHANGED_MESSAGE }
  const message =
    row.updaterId === null
      ? 'cannot commit instance updates: the instance is not locked'
      : 'cannot commit instance updates: the instance is locked by another saga!'
  return { kind: 'lock_lost', message }
}
