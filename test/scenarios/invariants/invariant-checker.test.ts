import { afterEach, describe, expect, it } from 'vitest'
import { reapAll } from '../../../nexus/background/abandoned-vmm-reaper.ts'
import { createTestbed } from '../../../scenarios/index.ts'
import { InvariantChecker } from '../../../scenarios/invariants/invariant-checker.ts'
import { INVARIANT_NAMES } from '../../../scenarios/invariants/violation.ts'
import { unroutedRequests } from '../../../sim/interception.ts'
import type { ShortId } from '../../../sim/kernel/ids.ts'
import { vmmState } from '../../../nexus/types/vmm-state.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addSled, addStoppedInstance, GIB } from '../../nexus/db/db-fixtures.ts'
import { createFullWorld, type FullWorld } from '../../support/full-world.ts'
import { addStartedInstance, bentReads, checkerWorld } from './checker-world.ts'

describe('the no_request_leaves invariant', () => {
  it('catches a request no simulated host served, once however often it is listed', () => {
    const w = checkerWorld()

    w.unrouted.push('GET http://nowhere.sim/v1/ping')
    w.checker.checkQuiescent()
    w.t.advance(10)
    w.unrouted.push('GET http://nowhere.sim/v1/ping')
    w.checker.checkQuiescent()

    expect(w.checker.violations()).toEqual([
      { invariant: 'no_request_leaves', at: 0, subject: 'GET http://nowhere.sim/v1/ping', message: 'a request left the process: no simulated host serves it' },
    ])
  })

  it('leaves requests listed before it was built to the testbed they belong to', () => {
    const w = checkerWorld()
    const earlier = ['GET http://old.sim/']
    const checker = new InvariantChecker({ clock: { elapsed: () => 0 }, db: w.t.db, unroutedRequests: () => earlier, trace: w.trace })

    checker.checkQuiescent()

    expect(checker.violations()).toEqual([])
  })
})

describe('the invariant checker', () => {
  it('reports each invariant and subject once, at the time first seen, ordered by time then invariant', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')
    w.t.advance(7)
    w.t.db.instanceTryLock(instance.id, w.t.ids.uuid('updater'))
    w.unrouted.push('GET http://a.sim/')
    w.checker.checkQuiescent()

    w.t.advance(5)
    w.checker.observe({ table: 'instance', op: 'update', row: { ...instance, gen: nextGeneration(instance.gen) } })
    w.checker.observe({ table: 'instance', op: 'update', row: instance })
    w.checker.observe({ table: 'instance', op: 'update', row: { ...instance, gen: 1 as typeof instance.gen } })
    w.checker.checkQuiescent()

    expect(w.checker.violations().map((v) => [v.at, v.invariant, v.subject])).toEqual([
      [7, 'updater_lock_free', `instance ${instance.id}`],
      [7, 'no_request_leaves', 'GET http://a.sim/'],
      [12, 'generation_monotonic', `instance ${instance.id}`],
    ])
    expect(INVARIANT_NAMES.indexOf('updater_lock_free')).toBeLessThan(INVARIANT_NAMES.indexOf('no_request_leaves'))
  })

  it('skips the global checks whose tables were not written since the last call', () => {
    let reads = 0
    const w = checkerWorld({ reads: (db) => bentReads(db, { sledReservationList: (...a) => (reads++, db.sledReservationList(...a)) }) })
    addSled(w.t)
    addStartedInstance(w, 'db1')

    w.checker.checkQuiescent()
    w.checker.checkQuiescent()
    const afterIdleCall = reads
    w.t.db.sledReservationDelete(w.t.db.sledReservationList()[0]!.id)
    w.checker.checkQuiescent()

    expect(afterIdleCall).toBe(1)
    expect(reads).toBe(2)
  })

  it('checks everything on every call while no write has reached observe', () => {
    let reads = 0
    const w = checkerWorld({ observe: false, reads: (db) => bentReads(db, { sledReservationList: (...a) => (reads++, db.sledReservationList(...a)) }) })
    const instance = addStoppedInstance(w.t, 'db1')

    w.checker.checkQuiescent()
    w.checker.checkQuiescent()
    w.t.db.provisioningAddInstance({ instanceId: instance.id, projectId: instance.projectId, cpus: 2, ram: 4 * GIB })
    w.checker.checkQuiescent()

    expect(reads).toBe(3)
    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })

  it('stops following the trace once disposed', () => {
    const w = checkerWorld()
    w.checker.dispose()

    w.trace.record('fault.saga', { saga: 'saga1', name: 'instance_start', node: 'ensure-registered', fault: 'fail_undo' })
    const saga = w.t.db.sagaCreate({ id: 'saga1' as ShortId, name: 'instance_start', params: {} })
    w.t.db.sagaFinish(saga.id, { state: 'stuck', failedNode: 'ensure-running', undoFailedNode: 'ensure-registered' })
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['saga_ends_clean', 'saga saga1']])
  })

  it('reports nothing for a start, stop, reap and delete written record by record', () => {
    const w = checkerWorld()
    const { db } = w.t
    addSled(w.t)
    const instance = addStoppedInstance(w.t, 'db1')
    w.checker.checkQuiescent()

    // Start: reserve, create the VMM, make it active, register, provision, run.
    const { vmm } = addStartedInstance(w, 'db2', vmmState('starting'))
    db.vmmUpdateRuntime(vmm.id, { state: vmmState('running'), generation: nextGeneration(nextGeneration(vmm.gen)), timeUpdated: w.t.now() })
    w.checker.checkQuiescent()
    // Stop: the VMM is destroyed, then the update saga releases, commits and unlocks.
    db.vmmUpdateRuntime(vmm.id, { state: vmmState('destroyed'), generation: nextGeneration(nextGeneration(nextGeneration(vmm.gen))), timeUpdated: w.t.now() })
    w.checker.checkQuiescent()
    const started = db.instanceGet(vmm.instanceId)!
    const lock = w.t.ids.uuid('updater')
    const saga = db.sagaCreate({ id: 'upd1' as ShortId, name: 'start-instance-update', params: { instanceId: started.id } })
    const taken = db.instanceTryLock(started.id, lock)
    if (taken.kind !== 'locked') throw new Error('not locked')
    db.provisioningReleaseInstance(started.id)
    w.checker.checkQuiescent()
    db.instanceCommitUpdateAndUnlock(started.id, lock, taken.lock.updaterGen, { ...started, state: 'no_vmm', activePropolisId: null, gen: nextGeneration(started.gen) })
    db.sagaFinish(saga.id, { state: 'succeeded' })
    w.checker.checkQuiescent()
    // The reaper frees the now-abandoned VMM; then both instances are deleted.
    w.trace.record('task.activated', { task: 'abandoned_vmm_reaper', reason: 'period' })
    const reaped = reapAll(db)
    w.trace.record('task.finished', { task: 'abandoned_vmm_reaper', status: reaped })
    w.checker.checkQuiescent()
    db.instanceMarkDestroyed(started.id)
    db.instanceMarkDestroyed(instance.id)
    w.checker.checkQuiescent()

    expect(reaped).toMatchObject({ vmms_deleted: 1, sled_reservations_deleted: 1 })
    expect(db.provisioningRead().fleet).toEqual({ cpus: 0, ram: 0 })
    expect(w.found()).toEqual([])
  })
})

describe('the invariant checker on the whole system', () => {
  let world: FullWorld | undefined
  afterEach(() => world?.dispose())

  it('reports nothing while an instance is created, started, runs, stops, is reaped after and deleted', async () => {
    world = createFullWorld()
    const { nexus, h, clock, trace } = world
    // The full world gives Nexus no write listener, so only the global checks run here; the testbed
    // test below runs the per-write ones on the whole system too.
    const checker = new InvariantChecker({ clock, db: nexus.db, unroutedRequests, trace })
    const step = async (work: Promise<unknown>): Promise<void> => {
      await h.settleCall(work)
      checker.checkQuiescent()
    }
    const wait = async (ms: number): Promise<void> => {
      await clock.advance(ms)
      checker.checkQuiescent()
    }

    await step(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await wait(10_000)
    const running = nexus.instances.view('db1')
    await step(nexus.instances.stop('db1'))
    await wait(10_000)
    await step(nexus.activate('abandoned_vmm_reaper'))
    await step(nexus.instances.delete('db1'))
    await step(nexus.activate('abandoned_vmm_reaper'))

    expect(running.runState).toBe('running')
    expect(trace.events().filter((e) => e.kind === 'task.finished')).not.toHaveLength(0)
    expect(nexus.db.sagaList().map((s) => s.state)).not.toContain('running')
    expect(checker.violations()).toEqual([])
  })

  it('excuses a start saga a fail_undo fault left stuck, and what its halted unwinding left behind', async () => {
    world = createFullWorld()
    const { nexus, h, clock, trace } = world
    const checker = new InvariantChecker({ clock, db: nexus.db, unroutedRequests, trace })
    nexus.sagaFaults.failAt('instance_start', 'ensure-running')
    nexus.sagaFaults.failUndoAt('instance_start', 'ensure-registered')

    await h.settleCall(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await clock.advance(10_000)
    checker.checkQuiescent()

    expect(nexus.db.sagaList({ name: 'instance_start' }).map((s) => s.state)).toEqual(['stuck'])
    expect(checker.violations()).toEqual([])
  })

  it('catches a start saga stuck by a sled that answers 404 to unregister, with no saga fault', async () => {
    world = createFullWorld()
    const { nexus, h, clock, trace } = world
    const checker = new InvariantChecker({ clock, db: nexus.db, unroutedRequests, trace })
    h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'propolis would not start' } })
    h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_unregister', respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'gone' } })

    await h.settleCall(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await clock.advance(10_000)
    checker.checkQuiescent()

    const [stuck] = nexus.db.sagaList({ name: 'instance_start' })
    expect(stuck?.state).toBe('stuck')
    expect(checker.violations().map((v) => [v.invariant, v.subject])).toEqual([['saga_ends_clean', `saga ${stuck?.id}`]])
  })

  it('reports nothing, per write and per step, while a testbed instance starts, migrates, stops, is reaped and deleted', async () => {
    await using tb = await createTestbed({ seed: 3 })

    await tb.nexus.instanceCreate({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true })
    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'running', { timeout: '1m' })
    const source = tb.db.vmm(tb.db.instance('db1')?.activePropolisId ?? '')
    await tb.nexus.instanceMigrate('db1', { dstSled: tb.sled(0).id === source?.sledId ? 1 : 0 })
    await tb.runUntil(() => tb.db.instance('db1')?.migrationId === null && tb.nexus.instanceView('db1').runState === 'running', { timeout: '5m' })
    await tb.advance('2m')
    await tb.nexus.instanceStop('db1')
    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'stopped', { timeout: '1m' })
    await tb.activate('abandoned_vmm_reaper')
    await tb.nexus.instanceDelete('db1')
    await tb.advance('2m')

    expect(tb.db.vmm(source?.id ?? '')).toMatchObject({ state: 'destroyed', timeDeleted: expect.any(Number) })
    expect(tb.db.sagas().map((s) => s.state)).not.toContain('running')
    expect(tb.invariants()).toEqual([])
  })
})
