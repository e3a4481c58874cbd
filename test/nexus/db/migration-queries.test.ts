import { describe, expect, it } from 'vitest'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { vmmState } from '../../../nexus/types/vmm-state.ts'
import { addRunningInstance, addVmm, T0, testDb, type TestDb } from './db-fixtures.ts'

function withMigration(t: TestDb) {
  const { instance, vmm, sled } = addRunningInstance(t)
  const target = addVmm(t, instance, sled, vmmState('creating'))
  const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: target.id })
  return { instance, migration }
}

describe('migrationInsert', () => {
  it('inserts both sides pending at generation 1 with no report times, idempotently', () => {
    const t = testDb()
    const { instance, migration } = withMigration(t)

    expect(migration).toMatchObject({
      instanceId: instance.id,
      sourceState: 'pending',
      sourceGen: 1,
      timeSourceUpdated: null,
      targetState: 'pending',
      targetGen: 1,
      timeTargetUpdated: null,
      timeCreated: T0,
      timeDeleted: null,
    })
    expect(t.db.migrationInsert(migration)).toEqual(migration)
    expect(t.db.migrationList()).toEqual([migration])
  })
})

describe('migrationMarkFailed', () => {
  it('fails both sides with generation + 1 on each, as the migrate saga unwinds', () => {
    const t = testDb()
    const { migration } = withMigration(t)
    t.advance(4)

    const outcome = t.db.migrationMarkFailed(migration.id)

    expect(outcome).toEqual({
      kind: 'updated',
      migration: {
        ...migration,
        sourceState: 'failed',
        sourceGen: nextGeneration(migration.sourceGen),
        timeSourceUpdated: T0 + 4,
        targetState: 'failed',
        targetGen: nextGeneration(migration.targetGen),
        timeTargetUpdated: T0 + 4,
      },
    })
  })

  it('leaves a deleted migration alone and says not_found for a missing one', () => {
    const t = testDb()
    const { migration } = withMigration(t)
    t.db.migrationMarkDeleted(migration.id)

    expect(t.db.migrationMarkFailed(migration.id)).toEqual({ kind: 'deleted' })
    expect(t.db.migrationMarkFailed(t.ids.uuid('migration'))).toEqual({ kind: 'not_found' })
  })
})

describe('migration deletion', () => {
  it("soft-deletes every live migration of a deleted instance and counts them", () => {
    const t = testDb()
    const { instance, migration } = withMigration(t)
    t.advance(8)

    expect(t.db.migrationMarkDeletedForInstance(instance.id)).toBe(1)
    expect(t.db.migrationMarkDeletedForInstance(instance.id)).toBe(0)
    expect(t.db.migrationGet(migration.id)).toBeNull()
    expect(t.db.migrationGet(migration.id, { includeDeleted: true })?.timeDeleted).toBe(T0 + 8)
    expect(t.db.migrationList({ instanceId: instance.id, deleted: false })).toEqual([])
  })
})
