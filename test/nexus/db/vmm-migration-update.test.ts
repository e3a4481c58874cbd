// Each row of omicron-model.md §5.2: the pre-check, the guarded VMM write, and each migration side.
import { describe, expect, it } from 'vitest'
import { DatastoreError } from '../../../nexus/db/datastore-error.ts'
import { SELF_MIGRATION_MESSAGE } from '../../../nexus/db/vmm-migration-update.ts'
import type { MigrationRuntimeState, SledVmmState } from '../../../nexus/types/vmm-runtime-state.ts'
import { vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import type { MigrationUuid } from '../../../sim/kernel/ids.ts'
import { generation, type MigrationState } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addVmm, T0, testDb, type TestDb } from './db-fixtures.ts'

const T1 = T0 + 1000

/** A running instance migrating from `source` to `target` (both rows, the migration, the ids). */
function migrating(t: TestDb) {
  const { instance, vmm: source, sled } = addRunningInstance(t)
  const target = addVmm(t, instance, sled, vmmState('migrating'))
  const migration = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: source.id, targetPropolisId: target.id })
  t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: source.id, migrationId: migration.id, targetPropolisId: target.id })
  return { instance, source, target, migration, sled }
}

const side = (migrationId: MigrationUuid, state: MigrationState, gen: number): MigrationRuntimeState => ({
  migrationId,
  state,
  generation: generation(gen),
  timeUpdated: T1,
})

function report(state: VmmState, gen: number, migrations: Partial<Pick<SledVmmState, 'migrationIn' | 'migrationOut'>> = {}): SledVmmState {
  return { vmmState: { state, generation: generation(gen), timeUpdated: T1 }, migrationIn: migrations.migrationIn ?? null, migrationOut: migrations.migrationOut ?? null }
}

function thrown(fn: () => unknown): DatastoreError {
  try {
    fn()
  } catch (error) {
    if (error instanceof DatastoreError) return error
    throw error
  }
  throw new Error('expected a DatastoreError')
}

describe('vmmAndMigrationUpdateRuntime', () => {
  it('refuses with 409 a report naming one migration as both in and out, writing nothing', () => {
    const t = testDb()
    const { source, migration } = migrating(t)
    const before = t.db.snapshot()

    const error = thrown(() =>
      t.db.vmmAndMigrationUpdateRuntime(
        source.id,
        report(vmmState('migrating'), 3, { migrationIn: side(migration.id, 'in_progress', 2), migrationOut: side(migration.id, 'in_progress', 2) }),
      ),
    )

    expect(error).toMatchObject({ kind: 'conflict', status: 409, message: SELF_MIGRATION_MESSAGE })
    expect(t.db.snapshot()).toEqual(before)
  })

  it('writes a newer VMM state and returns the VMM as it was', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)

    const result = t.db.vmmAndMigrationUpdateRuntime(vmm.id, report(vmmState('stopping'), vmm.gen + 1))

    expect(result).toEqual({ foundVmm: vmm, vmmUpdated: true, migrationInUpdated: false, migrationOutUpdated: false })
    expect(t.db.vmmGet(vmm.id)).toMatchObject({ state: 'stopping', gen: vmm.gen + 1, timeStateUpdated: T1 })
  })

  it('ignores an equal VMM generation without an error', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)

    expect(t.db.vmmAndMigrationUpdateRuntime(vmm.id, report(vmmState('stopping'), vmm.gen)).vmmUpdated).toBe(false)
    expect(t.db.vmmGet(vmm.id)).toEqual(vmm)
  })

  it('ignores a report for a deleted VMM without an error', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t, 'db1', vmmState('destroyed'))
    t.db.vmmMarkDeleted(vmm.id)

    expect(t.db.vmmAndMigrationUpdateRuntime(vmm.id, report(vmmState('running'), 50)).vmmUpdated).toBe(false)
  })

  it('is a 500 for a missing VMM row', () => {
    const t = testDb()

    expect(thrown(() => t.db.vmmAndMigrationUpdateRuntime(t.ids.uuid('propolis'), report(vmmState('running'), 2)))).toMatchObject({
      kind: 'internal',
      status: 500,
    })
  })

  it('writes the source side from migration_out and the target side from migration_in', () => {
    const t = testDb()
    const { source, target, migration } = migrating(t)

    const out = t.db.vmmAndMigrationUpdateRuntime(source.id, report(vmmState('migrating'), source.gen + 1, { migrationOut: side(migration.id, 'completed', 2) }))
    const into = t.db.vmmAndMigrationUpdateRuntime(target.id, report(vmmState('running'), target.gen + 1, { migrationIn: side(migration.id, 'completed', 3) }))

    expect(out).toMatchObject({ vmmUpdated: true, migrationOutUpdated: true, migrationInUpdated: false })
    expect(into).toMatchObject({ vmmUpdated: true, migrationOutUpdated: false, migrationInUpdated: true })
    expect(t.db.migrationGet(migration.id)).toEqual({
      ...migration,
      sourceState: 'completed',
      sourceGen: 2,
      timeSourceUpdated: T1,
      targetState: 'completed',
      targetGen: 3,
      timeTargetUpdated: T1,
    })
  })

  it('writes both sides when a VMM is the target of one migration and the source of the next', () => {
    const t = testDb()
    const { target, migration, instance, sled } = migrating(t)
    const third = addVmm(t, instance, sled, vmmState('migrating'))
    const next = t.db.migrationInsert({ id: t.ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: target.id, targetPropolisId: third.id })

    const result = t.db.vmmAndMigrationUpdateRuntime(
      target.id,
      report(vmmState('migrating'), target.gen + 1, { migrationIn: side(migration.id, 'completed', 2), migrationOut: side(next.id, 'in_progress', 2) }),
    )

    expect(result).toMatchObject({ vmmUpdated: true, migrationInUpdated: true, migrationOutUpdated: true })
    expect(t.db.migrationGet(migration.id)?.targetState).toBe('completed')
    expect(t.db.migrationGet(next.id)?.sourceState).toBe('in_progress')
  })

  it.each([
    ['an equal', 1],
    ['an older', 0],
  ])('skips a migration side with %s generation as stale, and still writes the VMM', (_, gen) => {
    const t = testDb()
    const { source, migration } = migrating(t)

    const result = t.db.vmmAndMigrationUpdateRuntime(source.id, report(vmmState('migrating'), source.gen + 1, { migrationOut: side(migration.id, 'failed', gen) }))

    expect(result).toMatchObject({ vmmUpdated: true, migrationOutUpdated: false })
    expect(t.db.migrationGet(migration.id)).toEqual(migration)
  })

  it.each(['migrationOut', 'migrationIn'] as const)('is a 410 Gone when the %s row is deleted, and writes nothing', (which) => {
    const t = testDb()
    const { source, target, migration } = migrating(t)
    t.db.migrationMarkDeleted(migration.id)
    const vmm = which === 'migrationOut' ? source : target
    const before = t.db.snapshot()

    const error = thrown(() => t.db.vmmAndMigrationUpdateRuntime(vmm.id, report(vmmState('running'), vmm.gen + 1, { [which]: side(migration.id, 'completed', 2) })))

    expect(error).toMatchObject({ kind: 'gone', status: 410, message: 'Gone' })
    expect(t.db.snapshot()).toEqual(before)
  })

  it('is a 400 InvalidValue when a VMM reports migration_out for a migration it is not the source of', () => {
    const t = testDb()
    const { target, migration } = migrating(t)
    const before = t.db.snapshot()

    const error = thrown(() => t.db.vmmAndMigrationUpdateRuntime(target.id, report(vmmState('running'), target.gen + 1, { migrationOut: side(migration.id, 'completed', 2) })))

    expect(error).toMatchObject({ kind: 'invalid_value', status: 400, label: 'source propolis UUID' })
    expect(error.message).toBe(`unsupported value for "source propolis UUID": ${target.id} is not the source VMM of this migration`)
    expect(t.db.snapshot()).toEqual(before)
  })

  it('is a 400 InvalidValue when a VMM reports migration_in for a migration it is not the target of', () => {
    const t = testDb()
    const { source, migration } = migrating(t)

    const error = thrown(() => t.db.vmmAndMigrationUpdateRuntime(source.id, report(vmmState('running'), source.gen + 1, { migrationIn: side(migration.id, 'completed', 2) })))

    expect(error.message).toBe(`unsupported value for "target propolis UUID": ${source.id} is not the target VMM of this migration`)
    expect(t.db.vmmGet(source.id)).toEqual(source)
  })

  it('reports the mismatch even when the generation is stale', () => {
    const t = testDb()
    const { target, migration } = migrating(t)

    expect(thrown(() => t.db.vmmAndMigrationUpdateRuntime(target.id, report(vmmState('running'), 1, { migrationOut: side(migration.id, 'completed', 1) }))).kind).toBe(
      'invalid_value',
    )
  })

  it('is a 500 for a migration row that does not exist', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)

    expect(thrown(() => t.db.vmmAndMigrationUpdateRuntime(vmm.id, report(vmmState('running'), 9, { migrationIn: side(t.ids.uuid('migration'), 'pending', 2) }))).kind).toBe(
      'internal',
    )
  })
})
