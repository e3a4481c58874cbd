import { describe, expect, it } from 'vitest'
import { DatastoreError } from '../../../nexus/db/datastore-error.ts'
import {
  DELETE_ACTIVE_VMM_MESSAGE,
  MIGRATION_IN_PROGRESS_MESSAGE,
  START_RACE_MESSAGE,
  STOP_RACE_MESSAGE,
} from '../../../nexus/db/instance-transitions.ts'
import { failedVmmState, vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { generation, nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm, mustInstance, T0, testDb, type TestDb } from './db-fixtures.ts'

describe('instanceSetActiveVmm', () => {
  it('makes the new VMM active: state vmm, generation + 1, time now', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const vmm = addVmm(t, instance, addSled(t), vmmState('creating'))
    t.advance(700)

    const outcome = t.db.instanceSetActiveVmm(instance.id, { propolisId: vmm.id, stampAutoRestart: false })

    expect(outcome).toEqual({
      kind: 'set',
      instance: { ...instance, state: 'vmm', activePropolisId: vmm.id, gen: nextGeneration(instance.gen), timeStateUpdated: T0 + 700 },
    })
  })

  it('stamps timeLastAutoRestarted when the start is an auto-restart', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const vmm = addVmm(t, instance, addSled(t), vmmState('creating'))
    t.advance(42)

    t.db.instanceSetActiveVmm(instance.id, { propolisId: vmm.id, stampAutoRestart: true })

    expect(mustInstance(t, instance.id).timeLastAutoRestarted).toBe(T0 + 42)
  })

  it('does nothing when the VMM is already active (a replayed action)', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t)

    expect(t.db.instanceSetActiveVmm(instance.id, { propolisId: vmm.id, stampAutoRestart: true })).toEqual({ kind: 'already_active', instance })
  })

  it('overwrites an active VMM whose saga unwound', () => {
    const t = testDb()
    const { instance, vmm, sled } = addRunningInstance(t, 'db1', vmmState('creating'))
    t.db.vmmMarkSagaUnwound(vmm.id)
    const next = addVmm(t, instance, sled, vmmState('creating'))

    const outcome = t.db.instanceSetActiveVmm(instance.id, { propolisId: next.id, stampAutoRestart: false })

    expect(outcome.kind).toBe('set')
    expect(mustInstance(t, instance.id)).toMatchObject({ activePropolisId: next.id, gen: nextGeneration(instance.gen) })
  })

  it.each<[string, VmmState]>([
    ['running', vmmState('running')],
    ['failed', failedVmmState('no_such_instance')],
    ['destroyed', vmmState('destroyed')],
  ])('refuses with a 409 while a %s VMM is active', (_, state) => {
    const t = testDb()
    const { instance, sled } = addRunningInstance(t, 'db1', state)
    const next = addVmm(t, instance, sled, vmmState('creating'))

    expect(t.db.instanceSetActiveVmm(instance.id, { propolisId: next.id, stampAutoRestart: false })).toEqual({ kind: 'conflict', message: START_RACE_MESSAGE })
    expect(mustInstance(t, instance.id)).toEqual(instance)
  })

  it('counts a soft-deleted active VMM as none', () => {
    const t = testDb()
    const { instance, vmm, sled } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    t.db.vmmMarkDeleted(vmm.id)
    const next = addVmm(t, instance, sled, vmmState('creating'))

    expect(t.db.instanceSetActiveVmm(instance.id, { propolisId: next.id, stampAutoRestart: false }).kind).toBe('set')
  })

  it('answers not_found for a deleted instance', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const vmm = addVmm(t, instance, addSled(t), vmmState('creating'))
    t.db.instanceMarkDestroyed(instance.id)

    expect(t.db.instanceSetActiveVmm(instance.id, { propolisId: vmm.id, stampAutoRestart: false })).toEqual({ kind: 'not_found' })
  })

  it("fails loudly for a VMM that is not the instance's", () => {
    const t = testDb()
    const instance = addStoppedInstance(t, 'db1')
    const other = addStoppedInstance(t, 'db2')
    const vmm = addVmm(t, other, addSled(t), vmmState('creating'))

    expect(() => t.db.instanceSetActiveVmm(instance.id, { propolisId: vmm.id, stampAutoRestart: false })).toThrow(DatastoreError)
  })
})

function migrationSetup(t: TestDb, sourceState: VmmState = vmmState('running')) {
  const { instance, vmm, sled } = addRunningInstance(t, 'db1', sourceState)
  const target = addVmm(t, instance, sled, vmmState('creating'))
  const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: target.id })
  const params = { srcPropolisId: vmm.id, migrationId: migration.id, targetPropolisId: target.id }
  return { instance, source: vmm, target, migration, sled, params }
}

describe('instanceSetMigrationIds', () => {
  it.each(['running', 'rebooting'] as const)('sets the ids with generation + 1 when the active VMM is %s', (state) => {
    const t = testDb()
    const { instance, params } = migrationSetup(t, vmmState(state))
    t.advance(10)

    const outcome = t.db.instanceSetMigrationIds(instance.id, params)

    expect(outcome).toEqual({
      kind: 'set',
      instance: { ...instance, migrationId: params.migrationId, targetPropolisId: params.targetPropolisId, gen: nextGeneration(instance.gen), timeStateUpdated: T0 + 10 },
    })
  })

  it.each(['starting', 'stopping', 'migrating'] as const)('refuses with a 409 when the active VMM is %s', (state) => {
    const t = testDb()
    const { instance, params } = migrationSetup(t, vmmState(state))

    expect(t.db.instanceSetMigrationIds(instance.id, params)).toEqual({ kind: 'conflict', message: MIGRATION_IN_PROGRESS_MESSAGE })
    expect(mustInstance(t, instance.id)).toEqual(instance)
  })

  it('refuses when the source is not the active VMM', () => {
    const t = testDb()
    const { instance, target, params } = migrationSetup(t)

    expect(t.db.instanceSetMigrationIds(instance.id, { ...params, srcPropolisId: target.id }).kind).toBe('conflict')
  })

  it('writes again (generation + 1) when the ids already are these', () => {
    const t = testDb()
    const { instance, params } = migrationSetup(t)
    t.db.instanceSetMigrationIds(instance.id, params)

    const again = t.db.instanceSetMigrationIds(instance.id, params)

    expect(again.kind === 'set' && again.instance.gen).toBe(instance.gen + 2)
  })

  it('refuses while another migration holds the ids', () => {
    const t = testDb()
    const { instance, params, sled } = migrationSetup(t)
    t.db.instanceSetMigrationIds(instance.id, params)
    const second = addVmm(t, instance, sled, vmmState('creating'))

    const outcome = t.db.instanceSetMigrationIds(instance.id, { ...params, migrationId: t.ids.uuid('migration'), targetPropolisId: second.id })

    expect(outcome.kind).toBe('conflict')
  })

  it('clobbers ids left by an unwound migrate saga (target saga_unwound, migration failed both sides)', () => {
    const t = testDb()
    const { instance, params, target, migration, source, sled } = migrationSetup(t)
    t.db.instanceSetMigrationIds(instance.id, params)
    t.db.vmmMarkSagaUnwound(target.id)
    t.db.migrationMarkFailed(migration.id)
    const nextTarget = addVmm(t, instance, sled, vmmState('creating'))
    const nextMigration = t.ids.uuid('migration')

    const outcome = t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: source.id, migrationId: nextMigration, targetPropolisId: nextTarget.id })

    expect(outcome.kind).toBe('set')
    expect(mustInstance(t, instance.id)).toMatchObject({ migrationId: nextMigration, targetPropolisId: nextTarget.id })
  })

  it('does not clobber ids whose migration failed on one side only', () => {
    const t = testDb()
    const { instance, params, target, sled, source } = migrationSetup(t)
    t.db.instanceSetMigrationIds(instance.id, params)
    t.db.vmmMarkSagaUnwound(target.id)
    const nextTarget = addVmm(t, instance, sled, vmmState('creating'))

    const outcome = t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: source.id, migrationId: t.ids.uuid('migration'), targetPropolisId: nextTarget.id })

    expect(outcome.kind).toBe('conflict')
  })
})

describe('instanceStopFailed', () => {
  function failedInstance(t: TestDb) {
    const instance = addStoppedInstance(t)
    const outcome = t.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', gen: nextGeneration(instance.gen) })
    if (outcome.kind !== 'updated') throw new Error('fixture failed')
    return outcome.instance
  }

  it('writes no_vmm with generation + 1 for a failed instance', () => {
    const t = testDb()
    const instance = failedInstance(t)
    t.advance(5)

    expect(t.db.instanceStopFailed(instance.id, instance.gen)).toEqual({
      kind: 'stopped',
      instance: { ...instance, state: 'no_vmm', gen: nextGeneration(instance.gen), timeStateUpdated: T0 + 5 },
    })
  })

  it('answers a 409 when the generation moved since the caller looked', () => {
    const t = testDb()
    const instance = failedInstance(t)
    t.db.instanceUpdateRuntime(instance.id, { ...instance, gen: nextGeneration(instance.gen) })

    expect(t.db.instanceStopFailed(instance.id, instance.gen)).toEqual({ kind: 'conflict', message: STOP_RACE_MESSAGE })
    expect(mustInstance(t, instance.id).state).toBe('failed')
  })

  it('answers not_found for a missing instance', () => {
    const t = testDb()

    expect(t.db.instanceStopFailed(t.ids.uuid('instance'), generation(1))).toEqual({ kind: 'not_found' })
  })
})

describe('instanceMarkDestroyed', () => {
  it.each(['no_vmm', 'failed'] as const)('deletes an instance in %s without changing its generation', (state) => {
    const t = testDb()
    const stopped = addStoppedInstance(t)
    const instance = state === 'no_vmm' ? stopped : { ...stopped, state, gen: nextGeneration(stopped.gen) }
    t.db.instanceUpdateRuntime(instance.id, instance)
    t.advance(9)

    expect(t.db.instanceMarkDestroyed(instance.id)).toEqual({ kind: 'destroyed', instance: { ...instance, state: 'destroyed', timeDeleted: T0 + 9 } })
    expect(t.db.instanceMarkDestroyed(instance.id)).toEqual({ kind: 'not_found' })
  })

  it('refuses an instance with an active VMM', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t)

    expect(t.db.instanceMarkDestroyed(instance.id)).toEqual({ kind: 'has_active_vmm', message: DELETE_ACTIVE_VMM_MESSAGE })
    expect(mustInstance(t, instance.id)).toEqual(instance)
  })

  it('refuses an instance still being created', () => {
    const t = testDb()
    const created = t.db.instanceInsert({ id: t.ids.uuid('instance'), name: 'db1', projectId: t.projectId, ncpus: 1, memory: 1, hostname: 'db1', intendedState: 'stopped' })
    if (created.kind !== 'inserted') throw new Error('insert failed')

    expect(t.db.instanceMarkDestroyed(created.instance.id)).toEqual({ kind: 'wrong_state', message: 'instance cannot be deleted in state "creating"' })
  })
})
