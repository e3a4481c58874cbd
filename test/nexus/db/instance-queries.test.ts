import { describe, expect, it } from 'vitest'
import { DatastoreError } from '../../../nexus/db/datastore-error.ts'
import { instanceRuntimeOf } from '../../../nexus/db/records.ts'
import { vmmState } from '../../../nexus/types/vmm-state.ts'
import { generation, nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm, GIB, mustInstance, T0, testDb } from './db-fixtures.ts'

describe('instanceInsert', () => {
  it('inserts the row in creating at generation 1, unlocked, with the defaults', () => {
    const t = testDb()
    const id = t.ids.uuid('instance')

    const outcome = t.db.instanceInsert({ id, name: 'db1', projectId: t.projectId, ncpus: 4, memory: 8 * GIB, hostname: 'db1', intendedState: 'stopped' })

    expect(outcome).toEqual({
      kind: 'inserted',
      instance: {
        id,
        name: 'db1',
        description: '',
        projectId: t.projectId,
        ncpus: 4,
        memory: 8 * GIB,
        hostname: 'db1',
        state: 'creating',
        gen: 1,
        timeStateUpdated: T0,
        activePropolisId: null,
        targetPropolisId: null,
        migrationId: null,
        updaterId: null,
        updaterGen: 1,
        intendedState: 'stopped',
        autoRestartPolicy: null,
        autoRestartCooldownMs: null,
        timeLastAutoRestarted: null,
        cpuPlatform: null,
        timeCreated: T0,
        timeModified: T0,
        timeDeleted: null,
      },
    })
  })

  it('returns the same row when a create-saga action replays the insert', () => {
    const t = testDb()
    const params = { id: t.ids.uuid('instance'), name: 'db1', projectId: t.projectId, ncpus: 2, memory: GIB, hostname: 'db1', intendedState: 'running' } as const
    const first = t.db.instanceInsert(params)
    t.advance(1000)

    expect(t.db.instanceInsert(params)).toEqual(first)
    expect(t.db.instanceList()).toHaveLength(1)
  })

  it('fails loudly when the replayed id has moved past creating', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const replay = () => t.db.instanceInsert({ ...instance, intendedState: 'running' })

    expect(replay).toThrow(DatastoreError)
    expect(replay).toThrow(/exists in state 'no_vmm'/)
  })

  it('answers name_in_use for a second live instance with the name, with omicron message', () => {
    const t = testDb()
    addStoppedInstance(t, 'db1')

    const outcome = t.db.instanceInsert({ id: t.ids.uuid('instance'), name: 'db1', projectId: t.projectId, ncpus: 2, memory: GIB, hostname: 'x', intendedState: 'stopped' })

    expect(outcome).toEqual({ kind: 'name_in_use', message: 'already exists: instance "db1"' })
  })

  it('lets a deleted instance name be used again', () => {
    const t = testDb()
    const old = addStoppedInstance(t, 'db1')
    t.db.instanceMarkDestroyed(old.id)

    const again = addStoppedInstance(t, 'db1')

    expect(t.db.instanceGetByName(t.projectId, 'db1')?.id).toBe(again.id)
  })
})

describe('instance lookups', () => {
  it('hides deleted instances unless asked for them', () => {
    const t = testDb()
    const kept = addStoppedInstance(t, 'kept')
    const gone = addStoppedInstance(t, 'gone')
    t.db.instanceMarkDestroyed(gone.id)

    expect(t.db.instanceGet(gone.id)).toBeNull()
    expect(t.db.instanceGet(gone.id, { includeDeleted: true })?.state).toBe('destroyed')
    expect(t.db.instanceGetByName(t.projectId, 'gone')).toBeNull()
    expect(t.db.instanceList().map((i) => i.id)).toEqual([kept.id])
    expect(t.db.instanceList({ includeDeleted: true }).map((i) => i.id)).toEqual([kept.id, gone.id])
  })

  it('lists only the instances of the project asked for', () => {
    const t = testDb()
    addStoppedInstance(t, 'mine')

    expect(t.db.instanceList({ projectId: t.ids.uuid('project') })).toEqual([])
  })

  it('joins the active VMM only while it is not deleted', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t, 'db1', vmmState('destroyed'))

    expect(t.db.instanceFetchWithVmm(instance.id)?.vmm?.id).toBe(vmm.id)
    t.db.vmmMarkDeleted(vmm.id)
    expect(t.db.instanceFetchWithVmm(instance.id)).toEqual({ instance, vmm: null })
  })

  it('fetches the instance with its active and target VMMs and its migration', () => {
    const t = testDb()
    const { instance, vmm, sled } = addRunningInstance(t)
    const target = addVmm(t, instance, sled, vmmState('creating'))
    const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: target.id })
    const set = t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: vmm.id, migrationId: migration.id, targetPropolisId: target.id })
    if (set.kind !== 'set') throw new Error('set migration ids failed')

    expect(t.db.instanceFetchAll(instance.id)).toEqual({ instance: set.instance, activeVmm: vmm, targetVmm: target, migration })
    expect(t.db.instanceFetchAll(t.ids.uuid('instance'))).toBeNull()
  })
})

describe('instanceUpdateRuntime', () => {
  it('writes a runtime with a newer generation', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const runtime = { ...instanceRuntimeOf(instance), state: 'failed' as const, gen: nextGeneration(instance.gen), timeStateUpdated: T0 + 5 }

    const outcome = t.db.instanceUpdateRuntime(instance.id, runtime)

    expect(outcome).toEqual({ kind: 'updated', instance: { ...instance, ...runtime } })
    expect(mustInstance(t, instance.id)).toEqual({ ...instance, ...runtime })
  })

  it.each([
    ['an equal', 0],
    ['an older', -1],
  ])('ignores a runtime with %s generation', (_, delta) => {
    const t = testDb()
    const instance = addStoppedInstance(t)

    const outcome = t.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', gen: generation(instance.gen + delta) })

    expect(outcome).toEqual({ kind: 'stale' })
    expect(mustInstance(t, instance.id)).toEqual(instance)
  })

  it('leaves a deleted row untouched', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    t.db.instanceMarkDestroyed(instance.id)
    const deleted = mustInstance(t, instance.id)

    expect(t.db.instanceUpdateRuntime(instance.id, { ...deleted, state: 'no_vmm', gen: generation(99) })).toEqual({ kind: 'stale' })
    expect(mustInstance(t, instance.id)).toEqual(deleted)
  })

  it('answers not_found for a missing row', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)

    expect(t.db.instanceUpdateRuntime(t.ids.uuid('instance'), { ...instance, gen: generation(9) })).toEqual({ kind: 'not_found' })
  })

  it('stores only the runtime columns of what it is given', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const widened = { ...instance, name: 'renamed', ncpus: 64, gen: nextGeneration(instance.gen) }

    t.db.instanceUpdateRuntime(instance.id, widened)

    expect(mustInstance(t, instance.id)).toMatchObject({ name: instance.name, ncpus: instance.ncpus })
  })
})

describe('instanceSetIntendedState', () => {
  it('records the intent and bumps timeModified, not the state generation', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    t.advance(2500)

    const outcome = t.db.instanceSetIntendedState(instance.id, 'stopped')

    expect(outcome).toEqual({ kind: 'updated', instance: { ...instance, intendedState: 'stopped', timeModified: T0 + 2500 } })
  })

  it('answers not_found for a deleted instance', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    t.db.instanceMarkDestroyed(instance.id)

    expect(t.db.instanceSetIntendedState(instance.id, 'destroyed')).toEqual({ kind: 'not_found' })
  })
})

describe('sleds', () => {
  it('inserts a sled in service, idempotently, and finds it by id and by name', () => {
    const t = testDb()
    const sled = addSled(t, 'sled-a')

    expect(sled).toMatchObject({ name: 'sled-a', policy: 'in_service', hardwareThreads: 64, timeCreated: T0 })
    expect(t.db.sledInsert({ ...sled, name: 'other' })).toEqual(sled)
    expect(t.db.sledGet(sled.id)).toEqual(sled)
    expect(t.db.sledGetByName('sled-a')).toEqual(sled)
    expect(t.db.sledList()).toEqual([sled])
  })

  it('expunges a sled for ever', () => {
    const t = testDb()
    const sled = addSled(t)

    expect(t.db.sledSetPolicy(sled.id, 'expunged')).toEqual({ kind: 'updated', sled: { ...sled, policy: 'expunged' }, previousPolicy: 'in_service' })
    expect(t.db.sledSetPolicy(sled.id, 'in_service').kind).toBe('refused')
    expect(t.db.sledGet(sled.id)?.policy).toBe('expunged')
    expect(t.db.sledSetPolicy(t.ids.uuid('sled'), 'no_provision')).toEqual({ kind: 'not_found' })
  })
})
