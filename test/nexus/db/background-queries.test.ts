import { describe, expect, it } from 'vitest'
import { instanceRuntimeOf } from '../../../nexus/db/records.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import { generation, nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm, mustInstance, T0, testDb, type TestDb } from './db-fixtures.ts'

const ids = (rows: readonly { id: string }[]) => rows.map((r) => r.id)

describe('vmmListAbandoned (the abandoned-VMM reaper)', () => {
  it('finds destroyable VMMs that no instance points at, and nothing else', () => {
    const t = testDb()
    const { instance, vmm: active, sled } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    const unwound = addVmm(t, instance, sled, vmmState('saga_unwound'))
    const failed = addVmm(t, instance, sled, failedVmmState('sled_off'))
    addVmm(t, instance, sled, vmmState('running'))
    const deleted = addVmm(t, instance, sled, vmmState('destroyed'))
    t.db.vmmMarkDeleted(deleted.id)

    const abandoned = t.db.vmmListAbandoned()

    expect(ids(abandoned)).toEqual([unwound.id, failed.id])
    expect(ids(abandoned)).not.toContain(active.id)
  })

  it('leaves a migration target alone while the instance points at it', () => {
    const t = testDb()
    const { instance, vmm: source, sled } = addRunningInstance(t)
    const target = addVmm(t, instance, sled, vmmState('creating'))
    const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: source.id, targetPropolisId: target.id })
    t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: source.id, migrationId: migration.id, targetPropolisId: target.id })
    t.db.vmmMarkSagaUnwound(target.id)

    expect(t.db.vmmListAbandoned()).toEqual([])
  })

  it("finds a VMM whose instance is gone or deleted, and stops finding it once it is deleted", () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const vmm = addVmm(t, instance, addSled(t), vmmState('destroyed'))
    t.db.instanceMarkDestroyed(instance.id)

    expect(ids(t.db.vmmListAbandoned())).toEqual([vmm.id])
    t.db.vmmMarkDeleted(vmm.id)
    expect(t.db.vmmListAbandoned()).toEqual([])
  })
})

describe('instance updater sweeps', () => {
  it('finds unlocked live instances whose live active VMM is in the state asked for', () => {
    const t = testDb()
    const destroyed = addRunningInstance(t, 'a', vmmState('destroyed')).instance
    const failed = addRunningInstance(t, 'b', failedVmmState('no_such_instance')).instance
    const locked = addRunningInstance(t, 'c', vmmState('destroyed')).instance
    t.db.instanceTryLock(locked.id, t.ids.uuid('updater'))
    addRunningInstance(t, 'd', vmmState('running'))

    expect(ids(t.db.instanceFindByActiveVmmState('destroyed'))).toEqual([destroyed.id])
    expect(ids(t.db.instanceFindByActiveVmmState('failed'))).toEqual([failed.id])
  })

  it('finds unlocked instances whose current migration is terminal on either side', () => {
    const t = testDb()
    const { instance, vmm: source, sled } = addRunningInstance(t)
    const target = addVmm(t, instance, sled, vmmState('migrating'))
    const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: source.id, targetPropolisId: target.id })
    t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: source.id, migrationId: migration.id, targetPropolisId: target.id })

    expect(t.db.instanceFindWithTerminatedMigrations()).toEqual([])
    t.db.vmmAndMigrationUpdateRuntime(source.id, {
      vmmState: { state: vmmState('running'), generation: generation(9), timeUpdated: T0 },
      migrationIn: null,
      migrationOut: { migrationId: migration.id, state: 'failed', generation: generation(2), timeUpdated: T0 },
    })
    expect(ids(t.db.instanceFindWithTerminatedMigrations())).toEqual([instance.id])
  })
})

function failedInstance(t: TestDb, name: string) {
  const stopped = addStoppedInstance(t, name)
  const outcome = t.db.instanceUpdateRuntime(stopped.id, { ...instanceRuntimeOf(stopped), state: 'failed', gen: nextGeneration(stopped.gen) })
  if (outcome.kind !== 'updated') throw new Error('fixture failed')
  return outcome.instance
}

describe('instanceFindReincarnatable', () => {
  it('finds live, unlocked failed instances that want to run, ordered by id', () => {
    const t = testDb()
    const eligible = [failedInstance(t, 'a'), failedInstance(t, 'b'), failedInstance(t, 'c')]
    const stoppedIntent = failedInstance(t, 'stopped-intent')
    t.db.instanceSetIntendedState(stoppedIntent.id, 'stopped')
    const locked = failedInstance(t, 'locked')
    t.db.instanceTryLock(locked.id, t.ids.uuid('updater'))
    const deleted = failedInstance(t, 'deleted')
    t.db.instanceMarkDestroyed(deleted.id)
    addStoppedInstance(t, 'stopped')

    expect(ids(t.db.instanceFindReincarnatable('failed'))).toEqual(ids(eligible).sort())
  })

  it('skips an instance whose policy is never', () => {
    const t = testDb()
    const created = t.db.instanceInsert({
      id: t.ids.uuid('instance'),
      name: 'never',
      projectId: t.projectId,
      ncpus: 1,
      memory: 1,
      hostname: 'never',
      intendedState: 'running',
      autoRestartPolicy: 'never',
    })
    if (created.kind !== 'inserted') throw new Error('insert failed')
    t.db.instanceUpdateRuntime(created.instance.id, { ...created.instance, state: 'failed', gen: nextGeneration(created.instance.gen) })

    expect(t.db.instanceFindReincarnatable('failed')).toEqual([])
  })

  it('waits out the cooldown after an auto-restart (default 5 minutes)', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t, 'db1', vmmState('creating'))
    t.db.vmmMarkSagaUnwound(vmm.id)
    const stamped = t.db.instanceUpdateRuntime(instance.id, { ...instanceRuntimeOf(instance), gen: nextGeneration(instance.gen), timeLastAutoRestarted: T0 })
    if (stamped.kind !== 'updated') throw new Error('fixture failed')

    expect(t.db.instanceFindReincarnatable('saga_unwound', T0 + 5 * 60_000 - 1)).toEqual([])
    expect(ids(t.db.instanceFindReincarnatable('saga_unwound', T0 + 5 * 60_000))).toEqual([instance.id])
    expect(t.db.instanceFindReincarnatable('failed', T0 + 5 * 60_000)).toEqual([])
  })

  it('does not count an active VMM that is merely failed as saga_unwound', () => {
    const t = testDb()
    addRunningInstance(t, 'db1', failedVmmState('from_sled_agent'))

    expect(t.db.instanceFindReincarnatable('saga_unwound')).toEqual([])
    expect(t.db.instanceFindReincarnatable('failed')).toEqual([])
    expect(mustInstance(t, t.db.instanceList()[0]?.id ?? t.ids.uuid('instance')).state).toBe('vmm')
  })
})

describe('vmmListForWatcher', () => {
  it('lists live VMMs that may exist on a sled, with sled and instance, ordered by sled then VMM', () => {
    const t = testDb()
    const a = addSled(t, 'a')
    const b = addSled(t, 'b')
    const instance = addStoppedInstance(t)
    const running = [addVmm(t, instance, b, vmmState('running')), addVmm(t, instance, a, failedVmmState('sled_off')), addVmm(t, instance, a, vmmState('stopping'))]
    for (const state of ['creating', 'saga_unwound', 'destroyed'] as const) addVmm(t, instance, a, vmmState(state))
    const gone = addVmm(t, instance, a, vmmState('destroyed'))
    t.db.vmmMarkDeleted(gone.id)

    const watched = t.db.vmmListForWatcher()

    const key = (sledId: string, vmmId: string) => `${sledId}/${vmmId}`
    expect(watched.map((w) => key(w.sled.id, w.vmm.id))).toEqual(running.map((v) => key(v.sledId, v.id)).sort())
    expect(watched.every((w) => w.instance.id === instance.id)).toBe(true)
  })
})
