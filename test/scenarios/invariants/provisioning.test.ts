import { describe, expect, it } from 'vitest'
import type { ShortId } from '../../../sim/kernel/ids.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import { addRunningInstance, addSled, addStoppedInstance, GIB } from '../../nexus/db/db-fixtures.ts'
import { addStartedInstance, bentReads, checkerWorld } from './checker-world.ts'

describe('the provisioning_consistent invariant, at a step boundary', () => {
  it('catches an instance with a running active VMM that holds no provisioning', () => {
    const w = checkerWorld()
    const { instance } = addStartedInstance(w, 'db1')

    w.t.db.provisioningReleaseInstance(instance.id)
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
    expect(w.checker.violations()[0]?.message).toBe(
      `an instance in state 'vmm' with active VMM 'running' holds no virtual provisioning; it should hold 2 cpus and ${4 * GIB} bytes`,
    )
  })

  it('catches a stopped instance that still holds provisioning', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')

    w.t.db.provisioningAddInstance({ instanceId: instance.id, projectId: instance.projectId, cpus: 2, ram: 4 * GIB })
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })

  it('catches an instance that holds another amount than its size', () => {
    const w = checkerWorld()
    const { instance } = addRunningInstance(w.t, 'db1')

    w.t.db.provisioningAddInstance({ instanceId: instance.id, projectId: instance.projectId, cpus: 4, ram: 4 * GIB })
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })

  it('catches an instance whose active VMM is saga_unwound but still holds provisioning', () => {
    const w = checkerWorld()
    const { instance, vmm } = addStartedInstance(w, 'db1', vmmState('starting'))

    w.t.db.vmmMarkSagaUnwound(vmm.id)
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })

  it('catches collections that differ from the sum of the resource rows', () => {
    const w = checkerWorld({
      reads: (db) => bentReads(db, { provisioningRead: () => ({ ...db.provisioningRead(), fleet: { cpus: 3, ram: 4 * GIB } }) }),
    })
    addSled(w.t)
    addStartedInstance(w, 'db1')

    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['provisioning_consistent', 'fleet']])
  })

  it('accepts either for an instance whose active VMM failed: the update saga releases before it commits', () => {
    const w = checkerWorld()
    const { instance: held } = addStartedInstance(w, 'db1', failedVmmState('sled_off'))
    addStartedInstance(w, 'db2', vmmState('destroyed'))

    w.t.db.provisioningReleaseInstance(held.id)
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([])
  })

  it('skips an instance a start saga works on, and checks it once the saga has ended', () => {
    const w = checkerWorld()
    // Marked starting, not yet at ADD_VIRTUAL_RESOURCES.
    const { instance } = addRunningInstance(w.t, 'db1', vmmState('starting'))
    const saga = w.t.db.sagaCreate({ id: 'start1' as ShortId, name: 'instance_start', params: { instance: { id: instance.id }, reason: 'user' } })

    w.checker.checkQuiescent()
    const midSaga = w.found()
    w.t.db.sagaFinish(saga.id, { state: 'succeeded' })
    w.checker.checkQuiescent()

    expect(midSaga).toEqual([])
    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })

  it('skips every instance while a saga that names none runs', () => {
    const w = checkerWorld()
    const { instance } = addRunningInstance(w.t, 'db1')
    const saga = w.t.db.sagaCreate({ id: 'other1' as ShortId, name: 'fleet_chore', params: {} })

    w.checker.checkQuiescent()
    const midSaga = w.found()
    w.t.db.sagaFinish(saga.id, { state: 'succeeded' })
    w.checker.checkQuiescent()

    expect(midSaga).toEqual([])
    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })

  it('skips an instance whose updater lock is held, and checks it once the lock is released', () => {
    const w = checkerWorld()
    const { instance } = addRunningInstance(w.t, 'db1')
    const lock = w.t.ids.uuid('updater')
    const taken = w.t.db.instanceTryLock(instance.id, lock)
    if (taken.kind !== 'locked') throw new Error('not locked')

    w.checker.checkQuiescent()
    const locked = w.found()
    w.t.db.instanceUnlock(instance.id, lock, taken.lock.updaterGen)
    w.checker.checkQuiescent()

    expect(locked).toEqual([['updater_lock_free', `instance ${instance.id}`]])
    expect(w.found()).toContainEqual(['provisioning_consistent', `instance ${instance.id}`])
  })

  it('reports nothing for started, stopped and deleted instances that hold what they should', () => {
    const w = checkerWorld()
    addSled(w.t)
    addStartedInstance(w, 'db1')
    addStartedInstance(w, 'db2', vmmState('stopping'))
    const deleted = addStoppedInstance(w.t, 'db3')
    w.t.db.instanceMarkDestroyed(deleted.id)

    w.checker.checkQuiescent()

    expect(w.t.db.provisioningRead().fleet).toEqual({ cpus: 4, ram: 8 * GIB })
    expect(w.found()).toEqual([])
  })
})
