import { describe, expect, it } from 'vitest'
import type { TraceEvent } from '../../../sim/kernel/trace.ts'
import { MIGRATION_ID, migrateIn, startRunning, World, type Published } from './harness.ts'
import { FAULT_CASES, MIGRATED_SOURCE, MIGRATED_TARGET, runFaultCase, SOURCE_PHASES, TARGET_PHASES, type FaultCase } from './migration-scenarios.ts'

const BOOT = ['Creating', 'Starting', 'Running']
const SOURCE_FAILS = ['Migrating out=Error', 'Running out=Error']
const TARGET_FAILS_AFTER_201 = ['Migrating in=Error', 'Failed in=Error', 'Failed in=Error']

/** Where a fault at `phase` strikes in the phase list of its side (its first occurrence after the opening Sync). */
function faultIndex({ side, phase }: FaultCase): number {
  const phases = side === 'source' ? SOURCE_PHASES : TARGET_PHASES
  // The source never publishes RamPull: its RAM-pull step is the RamPush after Device.
  const wanted = side === 'source' && phase === 'RamPull' ? 'Migrating out=RamPush' : `Migrating ${side === 'source' ? 'out' : 'in'}=${phase}`
  const from = side === 'source' && phase === 'RamPull' ? phases.indexOf('Migrating out=Device') : 2
  return phases.indexOf(wanted, from)
}

function expectPrefixThen(actual: readonly Published[], phases: readonly Published[], tail: readonly Published[], minimum: number): void {
  const prefix = actual.slice(0, actual.length - tail.length)
  expect(actual.slice(prefix.length)).toEqual(tail)
  expect(prefix.length).toBeGreaterThanOrEqual(minimum)
  expect(prefix).toEqual(phases.slice(0, prefix.length))
}

describe('a migration', () => {
  it('answers the target ensure with 201 after the sync phase, before the import', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    const target = world.server()

    // Act
    const ensured = migrateIn(target, source)
    await world.clock.advance(300)

    // Assert
    expect(await ensured).toEqual({ ok: true, value: { migrate: { migration_id: MIGRATION_ID } } })
    expect(world.sequence(target)).toEqual(TARGET_PHASES.slice(0, 2))
  })

  it('publishes the source Finish only once a slower target is ready, and the target Finish after it', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    const target = world.server({ migrationPhaseMs: 1000 })

    // Act
    void migrateIn(target, source)
    await world.runFor()

    // Assert
    const finishes = world.trace
      .events()
      .filter((e): e is TraceEvent<'propolis.published'> => e.kind === 'propolis.published' && (e.migration_out === 'Finish' || e.migration_in === 'Finish'))
    const sourceFinish = finishes.find((e) => e.propolis === source.propolisId && e.migration_out === 'Finish')
    const targetFinish = finishes.find((e) => e.propolis === target.propolisId)
    const targetServer = world.trace.events().find((e) => e.kind === 'propolis.published' && e.propolis === target.propolisId && e.migration_in === 'Server')
    expect(sourceFinish?.at).toBe((targetServer?.at ?? 0) + 1000)
    expect(targetFinish?.seq).toBeGreaterThan(sourceFinish?.seq ?? Infinity)
    expect(world.sequence(source)).toEqual(MIGRATED_SOURCE)
    expect(world.sequence(target)).toEqual(MIGRATED_TARGET)
  })

  it('waits at the final OK while the source is hung on migrate, and finishes after unhang', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    const target = world.server()
    void migrateIn(target, source)
    source.hang(['migrate'])

    // Act
    await world.clock.advance(60_000)
    const whileHung = [world.sequence(source).at(-1), world.sequence(target).at(-1)]
    source.unhang()
    await world.runFor()

    // Assert
    expect(whileHung).toEqual(['Migrating out=Sync', 'Migrating in=Server'])
    expect(world.sequence(source)).toEqual(MIGRATED_SOURCE)
    expect(world.sequence(target)).toEqual(MIGRATED_TARGET)
  })

  it('reports both directions on a VM that migrated in and is migrating out', async () => {
    // Arrange
    const world = new World()
    const first = world.server()
    await startRunning(world, first)
    const second = world.server()
    void migrateIn(second, first)
    await world.runFor()
    const third = world.server()

    // Act
    void third.ensure({ kind: 'migration_target', migrationId: MIGRATION_ID, sourceAddr: second.addr })
    await world.clock.advance(300)

    // Assert
    expect(second.published?.state).toBe('Migrating')
    expect(second.published?.migration).toEqual({
      migration_in: { id: MIGRATION_ID, state: 'Finish' },
      migration_out: { id: MIGRATION_ID, state: 'Sync' },
    })
  })

  it('denies a second migrate-out while one is pending, failing the second target', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    void migrateIn(world.server(), source)

    // Act
    const second = world.server()
    const ensured = await migrateIn(second, source)

    // Assert
    expect(ensured).toEqual({
      ok: false,
      error: {
        kind: 'http',
        status: 500,
        errorCode: null,
        message:
          'VM initialization failed: migration failed: the source refused to migrate out: 403 Instance is already a migration source',
      },
    })
    expect(world.sequence(second)).toEqual(['Migrating in=Sync', 'Migrating in=Error', 'Failed in=Error'])
  })

  it('fails the target sync when the source cannot be reached', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    world.network.partition(source.addr)
    const target = world.server()

    // Act
    const ensured = await migrateIn(target, source)

    // Assert
    expect(ensured.ok ? null : ensured.error.message).toBe(`VM initialization failed: migration failed: cannot reach the source at ${source.addr}`)
    expect(world.sequence(target)).toEqual(['Migrating in=Sync', 'Migrating in=Error', 'Failed in=Error'])
    expect(world.sequence(source)).toEqual(BOOT)
  })

  it.each(FAULT_CASES)('fails on both sides when the $side fails at $phase (set on the $setOn)', async (fault) => {
    // Arrange
    const world = new World()

    // Act
    const { source, target, ensured } = await runFaultCase(world, fault)

    // Assert
    const sourceSeq = world.sequence(source)
    const targetSeq = world.sequence(target)
    if (fault.side === 'source' && fault.phase === 'Sync') {
      // The handshake failed: the source never left Running.
      expect(sourceSeq).toEqual([...BOOT, 'Running out=Error'])
      expect(targetSeq).toEqual(['Migrating in=Sync', 'Migrating in=Error', 'Failed in=Error'])
      expect(ensured.ok).toBe(false)
    } else if (fault.side === 'target' && fault.phase === 'Sync') {
      expect(targetSeq).toEqual(['Migrating in=Sync', 'Migrating in=Error', 'Failed in=Error'])
      expect(sourceSeq).toEqual([...BOOT, 'Migrating out=Sync', ...SOURCE_FAILS])
      expect(ensured.ok).toBe(false)
    } else if (fault.side === 'source') {
      expect(sourceSeq).toEqual([...BOOT, ...SOURCE_PHASES.slice(0, faultIndex(fault)), ...SOURCE_FAILS])
      expectPrefixThen(targetSeq, TARGET_PHASES, TARGET_FAILS_AFTER_201, 2)
      expect(ensured.ok).toBe(true)
    } else {
      expect(targetSeq).toEqual([...TARGET_PHASES.slice(0, faultIndex(fault)), ...TARGET_FAILS_AFTER_201])
      expectPrefixThen(sourceSeq.slice(BOOT.length), SOURCE_PHASES.slice(0, -1), SOURCE_FAILS, 1)
      expect(ensured.ok).toBe(true)
    }
  })
})
