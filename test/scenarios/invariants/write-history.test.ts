import { describe, expect, it } from 'vitest'
import type { MigrationRecord } from '../../../nexus/db/records.ts'
import type { VmmRecordState } from '../../../nexus/types/vmm-record.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import { generation, nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm } from '../../nexus/db/db-fixtures.ts'
import { checkerWorld, type CheckerWorld } from './checker-world.ts'

function migrationOf(w: CheckerWorld): MigrationRecord {
  const { instance, vmm } = addRunningInstance(w.t, 'db1')
  const target = addVmm(w.t, instance, addSled(w.t, 'sled-1'), vmmState('migrating'))
  return w.t.db.migrationInsert({ id: w.t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: target.id })
}

describe('the generation_monotonic invariant', () => {
  it('catches an instance generation that goes backwards', () => {
    const w = checkerWorld()
    const { instance } = addRunningInstance(w.t, 'db1')

    w.checker.observe({ table: 'instance', op: 'update', row: { ...instance, gen: generation(instance.gen - 1) } })

    expect(w.found()).toEqual([['generation_monotonic', `instance ${instance.id}`]])
    expect(w.checker.violations()[0]?.message).toBe(`instance gen went backwards from ${instance.gen} to ${instance.gen - 1}`)
  })

  it('catches a VMM generation that goes backwards', () => {
    const w = checkerWorld()
    const { vmm } = addRunningInstance(w.t, 'db1')

    w.checker.observe({ table: 'vmm', op: 'update', row: { ...vmm, gen: generation(1) } })

    expect(w.found()).toEqual([['generation_monotonic', `vmm ${vmm.id}`]])
  })

  it.each([
    ['source_gen', { sourceGen: generation(1) }],
    ['target_gen', { targetGen: generation(1) }],
  ] as const)('catches a migration %s that goes backwards', (column, back) => {
    const w = checkerWorld()
    const migration = migrationOf(w)
    w.t.db.migrationMarkFailed(migration.id)
    const failed = w.t.db.migrationGet(migration.id)
    if (failed === null) throw new Error('no migration')

    w.checker.observe({ table: 'migration', op: 'update', row: { ...failed, ...back } })

    expect(w.found()).toEqual([['generation_monotonic', `migration ${migration.id}`]])
    expect(w.checker.violations()[0]?.message).toContain(`migration ${column} went backwards from 2 to 1`)
  })

  it('accepts a write that keeps the generation, as an intended-state or lock write does', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')

    w.t.db.instanceSetIntendedState(instance.id, 'stopped')
    w.t.db.instanceTryLock(instance.id, w.t.ids.uuid('updater'))

    expect(w.found()).toEqual([])
  })
})

describe('the terminal_vmm_frozen invariant', () => {
  it.each([
    ['destroyed', 'running'],
    ['failed', 'starting'],
    ['saga_unwound', 'running'],
    ['destroyed', 'failed'],
  ] as const satisfies readonly (readonly [VmmRecordState, VmmRecordState])[])('catches a VMM that leaves %s for %s', (from, to) => {
    const w = checkerWorld()
    const { vmm } = addRunningInstance(w.t, 'db1')
    const frozen = { ...vmm, state: from, failureReason: from === 'failed' ? ('sled_off' as const) : null, gen: nextGeneration(vmm.gen) }
    w.checker.observe({ table: 'vmm', op: 'update', row: frozen })

    w.checker.observe({ table: 'vmm', op: 'update', row: { ...frozen, state: to, failureReason: to === 'failed' ? 'sled_off' : null, gen: nextGeneration(frozen.gen) } })

    expect(w.found()).toEqual([['terminal_vmm_frozen', `vmm ${vmm.id}`]])
  })

  it('lets the saga that created a failed VMM mark it saga_unwound', () => {
    const w = checkerWorld()
    const { vmm } = addRunningInstance(w.t, 'db1', failedVmmState('no_such_instance'))

    const marked = w.t.db.vmmMarkSagaUnwound(vmm.id)

    expect(marked.kind).toBe('marked')
    expect(w.found()).toEqual([])
  })

  it('lets a failed VMM change its failure reason and be soft-deleted', () => {
    const w = checkerWorld()
    const vmm = addVmm(w.t, addStoppedInstance(w.t, 'db1'), addSled(w.t), failedVmmState('from_sled_agent'))

    w.t.db.vmmUpdateRuntime(vmm.id, { state: failedVmmState('sled_expunged'), generation: nextGeneration(vmm.gen), timeUpdated: w.t.now() })
    w.t.db.vmmMarkDeleted(vmm.id)

    expect(w.t.db.vmmGet(vmm.id, { includeDeleted: true })).toMatchObject({ failureReason: 'sled_expunged', timeDeleted: expect.any(Number) })
    expect(w.found()).toEqual([])
  })
})
