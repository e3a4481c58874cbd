import { describe, expect, it } from 'vitest'
import type { ShortId } from '../../../sim/kernel/ids.ts'
import { addStoppedInstance } from '../../nexus/db/db-fixtures.ts'
import { checkerWorld, type CheckerWorld } from './checker-world.ts'

function stuckSaga(w: CheckerWorld, id: string): ShortId {
  const instance = addStoppedInstance(w.t, `db-${id}`)
  const saga = w.t.db.sagaCreate({ id: id as ShortId, name: 'instance_start', params: { instance: { id: instance.id }, reason: 'user' } })
  w.t.db.sagaFinish(saga.id, { state: 'stuck', failedNode: 'ensure-running', undoFailedNode: 'ensure-registered' })
  return saga.id
}

describe('the saga_ends_clean invariant', () => {
  it('catches a saga that ended stuck with no fault on its undo', () => {
    const w = checkerWorld()
    const id = stuckSaga(w, 'saga1')

    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['saga_ends_clean', `saga ${id}`]])
    expect(w.checker.violations()[0]?.message).toBe(
      'instance_start ended stuck (the undo of ensure-registered failed while unwinding from ensure-running) though no fault targeted its undo; expected succeeded or unwound',
    )
  })

  it('excuses a stuck saga a fail_undo fault fired in, and only that one', () => {
    const w = checkerWorld()
    w.trace.record('fault.saga', { saga: 'saga1', name: 'instance_start', node: 'ensure-registered', fault: 'fail_undo' })
    w.trace.record('fault.saga', { saga: 'saga2', name: 'instance_start', node: 'ensure-running', fault: 'fail_action' })
    stuckSaga(w, 'saga1')
    stuckSaga(w, 'saga2')

    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['saga_ends_clean', 'saga saga2']])
  })

  it('reports nothing for running, succeeded and unwound sagas', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')
    const params = { instanceId: instance.id }
    w.t.db.sagaCreate({ id: 'run' as ShortId, name: 'instance_delete', params })
    w.t.db.sagaCreate({ id: 'ok' as ShortId, name: 'instance_delete', params })
    w.t.db.sagaCreate({ id: 'undone' as ShortId, name: 'instance_delete', params })

    w.t.db.sagaFinish('ok' as ShortId, { state: 'succeeded' })
    w.t.db.sagaFinish('undone' as ShortId, { state: 'unwound', failedNode: 'delete-record' })
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([])
  })
})

describe('the updater_lock_free invariant', () => {
  it('catches an updater lock held while no saga works on the instance', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')
    const lock = w.t.ids.uuid('updater')

    w.t.db.instanceTryLock(instance.id, lock)
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['updater_lock_free', `instance ${instance.id}`]])
    expect(w.checker.violations()[0]?.message).toContain(`held by ${lock}`)
  })

  it('accepts a lock held while an update saga for the instance is running', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')
    w.t.db.sagaCreate({ id: 'upd1' as ShortId, name: 'start-instance-update', params: { instanceId: instance.id } })

    w.t.db.instanceTryLock(instance.id, w.t.ids.uuid('updater'))
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([])
  })

  it('catches the lock once the saga that held it has ended without releasing it', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')
    const saga = w.t.db.sagaCreate({ id: 'upd1' as ShortId, name: 'start-instance-update', params: { instanceId: instance.id } })
    w.t.db.instanceTryLock(instance.id, w.t.ids.uuid('updater'))
    w.checker.checkQuiescent()

    w.t.db.sagaFinish(saga.id, { state: 'succeeded' })
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['updater_lock_free', `instance ${instance.id}`]])
  })
})
