import { describe, expect, it } from 'vitest'
import { vmmState } from '../../../nexus/types/vmm-state.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, GIB, T0, testDb } from './db-fixtures.ts'

describe('the tb.db read view', () => {
  it('shows an instance by id or by name in the shape of DESIGN §4', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t, 'db1')
    const expected = {
      id: instance.id,
      name: 'db1',
      state: 'vmm',
      gen: instance.gen,
      activePropolisId: vmm.id,
      targetPropolisId: null,
      migrationId: null,
      intendedState: 'running',
      updaterId: null,
      timeLastAutoRestarted: null,
    }

    expect(t.db.readView().instance(instance.id)).toEqual(expected)
    expect(t.db.readView().instance('db1')).toEqual(expected)
    expect(t.db.readView().instance('nope')).toBeNull()
  })

  it('shows a deleted instance by name once no live one has it', () => {
    const t = testDb()
    const instance = addStoppedInstance(t, 'db1')
    t.db.instanceMarkDestroyed(instance.id)

    expect(t.db.readView().instance('db1')).toMatchObject({ id: instance.id, state: 'destroyed' })
  })

  it('shows VMMs, deleted ones included, with filters', () => {
    const t = testDb()
    const { vmm, instance, sled } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    t.db.vmmMarkDeleted(vmm.id)
    const view = t.db.readView()

    expect(view.vmm(vmm.id)).toEqual({ id: vmm.id, instanceId: instance.id, sledId: sled.id, state: 'destroyed', failureReason: null, gen: vmm.gen, timeDeleted: T0 })
    expect(view.vmms({ instanceId: instance.id })).toHaveLength(1)
    expect(view.vmms({ deleted: false })).toEqual([])
  })

  it('shows migrations and sagas, with failedNode only where a saga failed', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t)
    const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: t.ids.uuid('propolis') })
    const ok = t.ids.shortId()
    const bad = t.ids.shortId()
    t.db.sagaCreate({ id: ok, name: 'instance_start', params: {} })
    t.db.sagaCreate({ id: bad, name: 'instance_start', params: {} })
    t.db.sagaFinish(bad, { state: 'unwound', failedNode: 'alloc-server' })
    const view = t.db.readView()

    expect(view.migrations({ instanceId: instance.id })).toEqual([
      { id: migration.id, instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: migration.targetPropolisId, sourceState: 'pending', sourceGen: 1, targetState: 'pending', targetGen: 1, timeDeleted: null },
    ])
    expect(view.sagas()).toEqual([
      { id: ok, name: 'instance_start', state: 'running' },
      { id: bad, name: 'instance_start', state: 'unwound', failedNode: 'alloc-server' },
    ])
    expect(view.sagas({ state: 'unwound' }).map((s) => s.id)).toEqual([bad])
  })

  it('shows sled reservations, per sled if asked, and provisioning', () => {
    const t = testDb()
    const a = addSled(t, 'a')
    const b = addSled(t, 'b')
    const instance = addStoppedInstance(t)
    const propolisId = t.ids.uuid('propolis')
    t.db.sledReservationInsert({ propolisId, sledId: b.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: GIB, state: 'active' })
    t.db.provisioningAddInstance({ instanceId: instance.id, projectId: t.projectId, cpus: 2, ram: GIB })
    const view = t.db.readView()

    expect(view.sledReservations().map((r) => r.id)).toEqual([propolisId])
    expect(view.sledReservations(a.id)).toEqual([])
    expect(view.provisioning().fleet).toEqual({ cpus: 2, ram: GIB })
  })
})

describe('reads return copies', () => {
  it('changing a returned instance, VMM, list, view or snapshot changes nothing stored', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t)
    const before = t.db.snapshot()

    const mutable = <T>(value: T) => value as { -readonly [K in keyof T]: T[K] }
    mutable(t.db.instanceGet(instance.id) ?? instance).state = 'failed'
    mutable(t.db.vmmGet(vmm.id) ?? vmm).state = 'destroyed'
    mutable(t.db.instanceList()[0] ?? instance).name = 'renamed'
    mutable(t.db.vmmList()[0] ?? vmm).propolisPort = 1
    mutable(t.db.readView().instance(instance.id) ?? { state: 'vmm' }).state = 'no_vmm'
    mutable(t.db.sledList()[0] ?? { name: '' }).name = 'other'
    const snapshot = t.db.snapshot()
    mutable(snapshot.instances[0] ?? instance).ncpus = 99
    ;(snapshot.vmms as unknown[]).length = 0
    mutable(t.db.instanceFetchAll(instance.id)?.activeVmm ?? vmm).sledId = t.ids.uuid('sled')

    expect(t.db.snapshot()).toEqual(before)
  })

  it('keeps a write from sharing the object the caller passed in', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const runtime = { ...instance, state: 'failed' as const, gen: nextGeneration(instance.gen) }
    t.db.instanceUpdateRuntime(instance.id, runtime)

    ;(runtime as { state: string }).state = 'no_vmm'

    expect(t.db.instanceGet(instance.id)?.state).toBe('failed')
  })

  it('reports every write to the listener as a copy, in order', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)

    expect(t.writes.map((w) => `${w.table} ${w.op}`)).toEqual(['instance insert', 'instance update'])
    ;(t.writes[1]?.row as { name: string }).name = 'changed'
    expect(t.db.instanceGet(instance.id)?.name).toBe('db1')
  })

  it('keeps its tables out of reach: a datastore has no enumerable state', () => {
    const t = testDb()
    addStoppedInstance(t)

    expect(Object.keys(t.db)).toEqual([])
  })
})
