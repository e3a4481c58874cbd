import { describe, expect, it } from 'vitest'
import { DatastoreError } from '../../../nexus/db/datastore-error.ts'
import { instanceRuntimeOf, type InstanceRecord } from '../../../nexus/db/records.ts'
import { STATE_CHANGED_MESSAGE, type UpdaterLock } from '../../../nexus/db/updater-lock.ts'
import { vmmState } from '../../../nexus/types/vmm-state.ts'
import { generation, nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addStoppedInstance, mustInstance, testDb, type TestDb } from './db-fixtures.ts'

function lockOf(t: TestDb, instance: InstanceRecord): UpdaterLock {
  const outcome = t.db.instanceTryLock(instance.id, t.ids.uuid('updater'))
  if (outcome.kind !== 'locked') throw new Error(`lock failed: ${outcome.kind}`)
  return outcome.lock
}

/** What an update saga commits for a destroyed active VMM: no_vmm, unlinked, snapshot gen + 1. */
function unlinkRuntime(instance: InstanceRecord) {
  return { ...instanceRuntimeOf(instance), state: 'no_vmm' as const, activePropolisId: null, gen: nextGeneration(instance.gen) }
}

describe('instanceTryLock', () => {
  it('takes a free lock and bumps the lock generation', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const updaterId = t.ids.uuid('updater')

    const outcome = t.db.instanceTryLock(instance.id, updaterId)

    expect(outcome).toEqual({ kind: 'locked', lock: { updaterId, updaterGen: nextGeneration(instance.updaterGen) } })
    expect(mustInstance(t, instance.id)).toEqual({ ...instance, updaterId, updaterGen: nextGeneration(instance.updaterGen) })
  })

  it('is idempotent for the same holder and does not bump the generation again', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)

    expect(t.db.instanceTryLock(instance.id, lock.updaterId)).toEqual({ kind: 'locked', lock })
    expect(mustInstance(t, instance.id).updaterGen).toBe(lock.updaterGen)
  })

  it('refuses another holder without waiting', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)

    expect(t.db.instanceTryLock(instance.id, t.ids.uuid('updater'))).toEqual({ kind: 'already_locked_by_other', holder: lock.updaterId })
    expect(mustInstance(t, instance.id).updaterId).toBe(lock.updaterId)
  })

  it('answers not_found for a deleted or missing instance, even one left locked', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    lockOf(t, instance)
    t.db.instanceMarkDestroyed(instance.id)

    expect(t.db.instanceTryLock(instance.id, t.ids.uuid('updater'))).toEqual({ kind: 'not_found' })
    expect(t.db.instanceTryLock(t.ids.uuid('instance'), t.ids.uuid('updater'))).toEqual({ kind: 'not_found' })
  })
})

describe('instanceInheritLock', () => {
  it('moves the lock from parent to child at generation + 1, idempotently', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const parent = lockOf(t, instance)
    const childId = t.ids.uuid('updater')
    const expected = { kind: 'inherited', lock: { updaterId: childId, updaterGen: nextGeneration(parent.updaterGen) } }

    expect(t.db.instanceInheritLock(instance.id, parent.updaterId, parent.updaterGen, childId)).toEqual(expected)
    expect(t.db.instanceInheritLock(instance.id, parent.updaterId, parent.updaterGen, childId)).toEqual(expected)
  })

  it('refuses when the lock is not held by the parent', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const holder = lockOf(t, instance)

    expect(t.db.instanceInheritLock(instance.id, t.ids.uuid('updater'), holder.updaterGen, t.ids.uuid('updater'))).toEqual({
      kind: 'already_locked_by_other',
      holder: holder.updaterId,
    })
  })
})

describe('instanceUnlock', () => {
  it('releases the lock held by this token and bumps the generation', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)

    const outcome = t.db.instanceUnlock(instance.id, lock.updaterId, lock.updaterGen)

    expect(outcome).toEqual({ kind: 'unlocked', instance: { ...instance, updaterId: null, updaterGen: nextGeneration(lock.updaterGen) } })
  })

  it('answers not_held the second time (an unwind replayed)', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)
    t.db.instanceUnlock(instance.id, lock.updaterId, lock.updaterGen)

    expect(t.db.instanceUnlock(instance.id, lock.updaterId, lock.updaterGen)).toEqual({ kind: 'not_held' })
  })

  it("cannot release someone else's lock", () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)

    expect(t.db.instanceUnlock(instance.id, t.ids.uuid('updater'), lock.updaterGen)).toEqual({ kind: 'not_held' })
    expect(mustInstance(t, instance.id)).toMatchObject({ updaterId: lock.updaterId, updaterGen: lock.updaterGen })
  })

  it('fails loudly when the holder presents another generation', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)

    expect(() => t.db.instanceUnlock(instance.id, lock.updaterId, generation(lock.updaterGen + 5))).toThrow(DatastoreError)
  })

  it('treats a deleted instance as not held, and a missing one as not found', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)
    t.db.instanceMarkDestroyed(instance.id)

    expect(t.db.instanceUnlock(instance.id, lock.updaterId, lock.updaterGen)).toEqual({ kind: 'not_held' })
    expect(t.db.instanceUnlock(t.ids.uuid('instance'), lock.updaterId, lock.updaterGen)).toEqual({ kind: 'not_found' })
  })
})

describe('instanceCommitUpdateAndUnlock', () => {
  it('writes the runtime and the intent and releases the lock in one step', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    const lock = lockOf(t, instance)
    const runtime = unlinkRuntime(instance)

    const outcome = t.db.instanceCommitUpdateAndUnlock(instance.id, lock.updaterId, lock.updaterGen, runtime, 'guest_shutdown')

    const expected = { ...instance, ...runtime, intendedState: 'guest_shutdown', updaterId: null, updaterGen: nextGeneration(lock.updaterGen) }
    expect(outcome).toEqual({ kind: 'committed', instance: expected })
    expect(mustInstance(t, instance.id)).toEqual(expected)
  })

  it('answers already_committed when the commit is replayed', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    const lock = lockOf(t, instance)
    const runtime = unlinkRuntime(instance)
    t.db.instanceCommitUpdateAndUnlock(instance.id, lock.updaterId, lock.updaterGen, runtime)
    const committed = mustInstance(t, instance.id)

    expect(t.db.instanceCommitUpdateAndUnlock(instance.id, lock.updaterId, lock.updaterGen, runtime)).toEqual({ kind: 'already_committed' })
    expect(mustInstance(t, instance.id)).toEqual(committed)
  })

  it('answers stale with 409 "instance state has changed" when the generation moved under the lock, and keeps the lock', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t)
    const lock = lockOf(t, instance)
    // A migrate saga is not excluded by the lock: it bumps the generation meanwhile.
    t.db.instanceUpdateRuntime(instance.id, { ...instanceRuntimeOf(instance), gen: nextGeneration(instance.gen) })
    const moved = mustInstance(t, instance.id)

    const outcome = t.db.instanceCommitUpdateAndUnlock(instance.id, lock.updaterId, lock.updaterGen, unlinkRuntime(instance))

    expect(outcome).toEqual({ kind: 'stale', message: STATE_CHANGED_MESSAGE })
    expect(mustInstance(t, instance.id)).toEqual(moved)
  })

  it('answers lock_lost when another saga holds the lock', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t)
    const lock = lockOf(t, instance)
    t.db.instanceUnlock(instance.id, lock.updaterId, lock.updaterGen)
    const other = lockOf(t, mustInstance(t, instance.id))

    const outcome = t.db.instanceCommitUpdateAndUnlock(instance.id, lock.updaterId, lock.updaterGen, unlinkRuntime(instance))

    expect(outcome).toEqual({ kind: 'lock_lost', message: 'cannot commit instance updates: the instance is locked by another saga!' })
    expect(mustInstance(t, instance.id)).toMatchObject({ updaterId: other.updaterId, activePropolisId: instance.activePropolisId })
  })

  it('answers lock_lost when nothing holds the lock', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t)

    const outcome = t.db.instanceCommitUpdateAndUnlock(instance.id, t.ids.uuid('updater'), instance.updaterGen, unlinkRuntime(instance))

    expect(outcome).toEqual({ kind: 'lock_lost', message: 'cannot commit instance updates: the instance is not locked' })
  })

  it('answers not_found for a deleted instance', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const lock = lockOf(t, instance)
    t.db.instanceMarkDestroyed(instance.id)

    const runtime = { ...instanceRuntimeOf(instance), gen: nextGeneration(instance.gen) }
    expect(t.db.instanceCommitUpdateAndUnlock(instance.id, lock.updaterId, lock.updaterGen, runtime)).toEqual({ kind: 'not_found' })
  })
})
