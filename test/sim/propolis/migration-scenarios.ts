// The migration scenarios (success, refusals, queued requests, lost peers) and the fault matrix:
// a failure at every phase on either side.
import type { PropolisServer } from '../../../sim/propolis/server.ts'
import { migrateIn, runningServer, startRunning, type Published, type Scenario, type World } from './harness.ts'

const BOOT = ['Creating', 'Starting', 'Running']

/** §7: what a source publishes from Migrating + Sync to Finish. */
export const SOURCE_PHASES: readonly Published[] = [
  'Migrating out=Sync',
  'Migrating out=Sync',
  'Migrating out=RamPush',
  'Migrating out=Pause',
  'Migrating out=Pause',
  'Migrating out=RamPushDirty',
  'Migrating out=Pause',
  'Migrating out=Device',
  'Migrating out=RamPush',
  'Migrating out=Pause',
  'Migrating out=RamPushDirty',
  'Migrating out=Server',
  'Migrating out=Finish',
]

/** §7: what a target publishes from its gen-1 Sync to Finish. */
export const TARGET_PHASES: readonly Published[] = [
  'Migrating in=Sync',
  'Migrating in=Sync',
  'Migrating in=RamPush',
  'Migrating in=Pause',
  'Migrating in=RamPushDirty',
  'Migrating in=Pause',
  'Migrating in=Device',
  'Migrating in=RamPull',
  'Migrating in=Server',
  'Migrating in=Finish',
]

export const MIGRATED_SOURCE = [...BOOT, ...SOURCE_PHASES, 'Stopping out=Finish', 'Destroyed out=Finish']
export const MIGRATED_TARGET = [...TARGET_PHASES, 'Running in=Finish']

/** A running source and a target dialling it; runs to the end. */
async function migration(world: World, during?: (source: PropolisServer, target: PropolisServer) => Promise<void>) {
  const source = await runningServer(world)
  const target = world.server()
  void migrateIn(target, source)
  if (during !== undefined) await during(source, target)
  await world.runFor()
  return { source, target }
}

export const MIGRATION_SCENARIOS: readonly Scenario[] = [
  {
    name: 'a migration succeeds: the target ends Running, the source Destroyed without Stopped',
    run: async (w) => migration(w),
    expected: { source: MIGRATED_SOURCE, target: MIGRATED_TARGET },
  },
  {
    name: 'a source that is not started refuses to migrate out and the target fails its sync',
    run: async (w) => {
      const source = w.server()
      void source.ensure({ kind: 'spec' })
      await w.clock.advance(500)
      const target = w.server()
      void migrateIn(target, source)
      await w.runFor()
      return { source, target }
    },
    expected: { source: ['Creating'], target: ['Migrating in=Sync', 'Migrating in=Error', 'Failed in=Error'] },
  },
  {
    name: 'a Stop queued during a migration out that succeeds is dropped',
    run: async (w) =>
      migration(w, async (source) => {
        await w.clock.advance(1000)
        await source.putState('Stop')
      }),
    expected: { source: MIGRATED_SOURCE, target: MIGRATED_TARGET },
  },
  {
    name: 'a Stop queued during a migration out that fails runs after the guest resumes',
    run: async (w) => {
      const source = await runningServer(w)
      source.failNextMigration({ side: 'source' })
      const target = w.server()
      void migrateIn(target, source)
      await source.putState('Stop')
      await w.runFor()
      return { source, target }
    },
    expected: {
      source: [...BOOT, 'Migrating out=Sync', 'Migrating out=Sync', 'Migrating out=Error', 'Running out=Error', 'Stopping out=Error', 'Stopped out=Error', 'Destroyed out=Error'],
      target: ['Migrating in=Sync', 'Migrating in=Sync', 'Migrating in=Error', 'Failed in=Error', 'Failed in=Error'],
    },
  },
  {
    name: 'guest events queued during a failed migration out run first, de-duplicated, then the Stop',
    run: async (w) => {
      const source = await runningServer(w)
      source.failNextMigration({ side: 'source', phase: 'Device' })
      const target = w.server()
      void migrateIn(target, source)
      await w.clock.advance(300)
      await source.putState('Stop')
      source.guestReboot()
      source.guestReboot()
      await w.runFor()
      return { source }
    },
    expected: {
      source: [...BOOT, ...SOURCE_PHASES.slice(0, 7), 'Migrating out=Error', 'Running out=Error', 'Rebooting out=Error', 'Running out=Error', 'Stopping out=Error', 'Stopped out=Error', 'Destroyed out=Error'],
    },
  },
  {
    name: 'a Stop on a migration target during the import stops it after Finish, never Running',
    run: async (w) =>
      migration(w, async (_source, target) => {
        await w.clock.advance(600)
        await target.putState('Stop')
      }),
    expected: { source: MIGRATED_SOURCE, target: [...TARGET_PHASES, 'Stopped in=Finish', 'Destroyed in=Finish'] },
  },
  {
    name: 'a migration target whose start fails after the import ends Failed with migration_in at Finish',
    run: async (w) =>
      migration(w, async (_source, target) => {
        target.failNextStart()
        await Promise.resolve()
      }),
    expected: { source: MIGRATED_SOURCE, target: [...TARGET_PHASES, 'Failed in=Finish'] },
  },
  {
    name: 'a partition during a migration fails both sides at the next message',
    run: async (w) =>
      migration(w, async (source) => {
        await w.clock.advance(1000)
        w.network.partition(source.addr)
      }),
    expected: {
      source: [...BOOT, ...SOURCE_PHASES.slice(0, 5), 'Migrating out=Error', 'Running out=Error'],
      target: [...TARGET_PHASES.slice(0, 4), 'Migrating in=Error', 'Failed in=Error', 'Failed in=Error'],
    },
  },
  {
    name: 'a source that crashes during a migration fails the target',
    run: async (w) =>
      migration(w, async (source) => {
        await w.clock.advance(1000)
        source.crash()
      }),
    expected: {
      source: [...BOOT, ...SOURCE_PHASES.slice(0, 4)],
      target: [...TARGET_PHASES.slice(0, 4), 'Migrating in=Error', 'Failed in=Error', 'Failed in=Error'],
    },
  },
  {
    name: 'a target whose zone is removed during a migration fails the source, which resumes',
    run: async (w) =>
      migration(w, async (_source, target) => {
        await w.clock.advance(1000)
        target.destroy()
      }),
    expected: {
      source: [...BOOT, ...SOURCE_PHASES.slice(0, 4), 'Migrating out=Error', 'Running out=Error'],
      target: TARGET_PHASES.slice(0, 4),
    },
  },
  {
    name: 'a target that crashes during a migration fails the source, which resumes',
    run: async (w) =>
      migration(w, async (_source, target) => {
        await w.clock.advance(1000)
        target.crash()
      }),
    expected: {
      source: [...BOOT, ...SOURCE_PHASES.slice(0, 4), 'Migrating out=Error', 'Running out=Error'],
      target: TARGET_PHASES.slice(0, 4),
    },
  },
]

/** A migration fault: the side that fails, the phase, and which server the fault was set on. */
export interface FaultCase {
  readonly side: 'source' | 'target'
  readonly phase: 'Sync' | 'RamPush' | 'Pause' | 'RamPushDirty' | 'Device' | 'RamPull' | 'Server'
  readonly setOn: 'source' | 'target'
}

export const FAULT_CASES: readonly FaultCase[] = (['source', 'target'] as const).flatMap((side) =>
  (['Sync', 'RamPush', 'Pause', 'RamPushDirty', 'Device', 'RamPull', 'Server'] as const).map((phase, i) => ({
    side,
    phase,
    // Alternate the server the fault is set on: either one routes it to the side it names.
    setOn: i % 2 === 0 ? side : side === 'source' ? ('target' as const) : ('source' as const),
  })),
)

/** Runs a migration with the fault armed; returns the servers and the target's ensure result. */
export async function runFaultCase(world: World, fault: FaultCase) {
  const source = world.server()
  await startRunning(world, source)
  const target = world.server()
  ;(fault.setOn === 'source' ? source : target).failNextMigration({ side: fault.side, phase: fault.phase })
  const ensured = migrateIn(target, source)
  await world.runFor()
  return { source, target, ensured: await ensured }
}
