import { describe, expect, it } from 'vitest'
import { DatastoreError } from '../../../nexus/db/datastore-error.ts'
import { failedVmmState, vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { generation, nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm, mustVmm, T0, testDb } from './db-fixtures.ts'

const runtime = (state: VmmState, gen: number, timeUpdated = T0 + 1) => ({ state, generation: generation(gen), timeUpdated })

describe('vmmInsert', () => {
  it('inserts the row in creating at generation 1 on port 12400', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)
    const sled = addSled(t)
    const id = t.ids.uuid('propolis')

    const vmm = t.db.vmmInsert({ id, instanceId: instance.id, sledId: sled.id, propolisIp: 'fd00::5', cpuPlatform: 'sled_default' })

    expect(vmm).toEqual({
      id,
      instanceId: instance.id,
      sledId: sled.id,
      propolisIp: 'fd00::5',
      propolisPort: 12400,
      cpuPlatform: 'sled_default',
      state: 'creating',
      failureReason: null,
      gen: 1,
      timeStateUpdated: T0,
      timeCreated: T0,
      timeDeleted: null,
    })
  })

  it('returns the existing row, as it is now, when the insert is replayed', () => {
    const t = testDb()
    const { instance, vmm, sled } = addRunningInstance(t)

    expect(t.db.vmmInsert({ id: vmm.id, instanceId: instance.id, sledId: sled.id, propolisIp: 'x', cpuPlatform: 'amd_turin' })).toEqual(vmm)
    expect(t.db.vmmList()).toHaveLength(1)
  })
})

describe('vmmUpdateRuntime', () => {
  it('writes a newer runtime and returns the row as it was before', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)

    const result = t.db.vmmUpdateRuntime(vmm.id, runtime(failedVmmState('sled_off'), vmm.gen + 1, T0 + 9))

    expect(result).toEqual({ updated: true, before: vmm })
    expect(mustVmm(t, vmm.id)).toEqual({ ...vmm, state: 'failed', failureReason: 'sled_off', gen: vmm.gen + 1, timeStateUpdated: T0 + 9 })
  })

  it('clears the failure reason when a failed row is overwritten by a newer non-failed state', () => {
    const t = testDb()
    const { instance, sled } = addRunningInstance(t)
    const vmm = addVmm(t, instance, sled, failedVmmState('from_sled_agent'))

    t.db.vmmUpdateRuntime(vmm.id, runtime(vmmState('destroyed'), vmm.gen + 1))

    expect(mustVmm(t, vmm.id)).toMatchObject({ state: 'destroyed', failureReason: null })
  })

  it.each([
    ['an equal', 0],
    ['an older', -1],
  ])('ignores %s generation', (_, delta) => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)

    expect(t.db.vmmUpdateRuntime(vmm.id, runtime(vmmState('stopping'), vmm.gen + delta))).toEqual({ updated: false, before: vmm })
    expect(mustVmm(t, vmm.id)).toEqual(vmm)
  })

  it('leaves a deleted row untouched, without an error', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    t.db.vmmMarkDeleted(vmm.id)
    const deleted = mustVmm(t, vmm.id)

    expect(t.db.vmmUpdateRuntime(vmm.id, runtime(vmmState('running'), 99))).toEqual({ updated: false, before: deleted })
    expect(mustVmm(t, vmm.id)).toEqual(deleted)
  })

  it('throws a 404 not_found for a missing row', () => {
    const t = testDb()
    const missing = t.ids.uuid('propolis')

    expect(() => t.db.vmmUpdateRuntime(missing, runtime(vmmState('running'), 2))).toThrow(DatastoreError)
    expect(() => t.db.vmmUpdateRuntime(missing, runtime(vmmState('running'), 2))).toThrow(expect.objectContaining({ kind: 'not_found', status: 404 }))
  })
})

describe('vmmMarkSagaUnwound', () => {
  it('moves the VMM to saga_unwound with generation + 1 whatever the generation, and clears a reason', () => {
    const t = testDb()
    const { instance, sled } = addRunningInstance(t)
    const vmm = addVmm(t, instance, sled, failedVmmState('no_such_instance'))
    t.advance(3)

    const outcome = t.db.vmmMarkSagaUnwound(vmm.id)

    expect(outcome).toEqual({ kind: 'marked', vmm: { ...vmm, state: 'saga_unwound', failureReason: null, gen: nextGeneration(vmm.gen), timeStateUpdated: T0 + 3 } })
  })

  it('leaves a deleted row alone, and says so', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    t.db.vmmMarkDeleted(vmm.id)

    expect(t.db.vmmMarkSagaUnwound(vmm.id)).toEqual({ kind: 'deleted' })
    expect(t.db.vmmMarkSagaUnwound(t.ids.uuid('propolis'))).toEqual({ kind: 'not_found' })
  })
})

describe('vmmMarkDeleted', () => {
  it.each<[string, VmmState]>([
    ['destroyed', vmmState('destroyed')],
    ['failed', failedVmmState('sled_expunged')],
    ['saga_unwound', vmmState('saga_unwound')],
  ])('soft-deletes a %s VMM once', (_, state) => {
    const t = testDb()
    const { instance, sled } = addRunningInstance(t)
    const vmm = addVmm(t, instance, sled, state)
    t.advance(11)

    expect(t.db.vmmMarkDeleted(vmm.id)).toEqual({ kind: 'deleted', vmm: { ...vmm, timeDeleted: T0 + 11 } })
    expect(t.db.vmmMarkDeleted(vmm.id)).toEqual({ kind: 'already_deleted' })
    expect(t.db.vmmGet(vmm.id)).toBeNull()
  })

  it.each(['creating', 'starting', 'running', 'stopping', 'stopped', 'rebooting', 'migrating'] as const)('refuses to delete a %s VMM', (state) => {
    const t = testDb()
    const { vmm } = addRunningInstance(t, 'db1', vmmState(state))

    expect(t.db.vmmMarkDeleted(vmm.id)).toEqual({ kind: 'not_destroyable', state })
    expect(mustVmm(t, vmm.id).timeDeleted).toBeNull()
  })

  it('answers not_found for a missing row', () => {
    const t = testDb()

    expect(t.db.vmmMarkDeleted(t.ids.uuid('propolis'))).toEqual({ kind: 'not_found' })
  })
})

describe('vmmList', () => {
  it('filters by instance, sled, state and deletion', () => {
    const t = testDb()
    const { instance, vmm, sled } = addRunningInstance(t, 'db1')
    const other = addSled(t, 'sled-1')
    const gone = addVmm(t, instance, other, vmmState('destroyed'))
    t.db.vmmMarkDeleted(gone.id)
    const ids = (list: { id: string }[]) => list.map((v) => v.id)

    expect(ids(t.db.vmmList())).toEqual([vmm.id, gone.id])
    expect(ids(t.db.vmmList({ sledId: sled.id }))).toEqual([vmm.id])
    expect(ids(t.db.vmmList({ instanceId: instance.id, deleted: true }))).toEqual([gone.id])
    expect(ids(t.db.vmmList({ state: 'running', deleted: false }))).toEqual([vmm.id])
    expect(t.db.vmmGet(gone.id, { includeDeleted: true })?.id).toBe(gone.id)
  })
})
