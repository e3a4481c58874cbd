// Live migrations failing at each phase on each side, and a later migration that succeeds.
import { scenario, type ScenarioBuilder } from '../define.ts'

type Side = 'source' | 'target'
type Phase = 'Sync' | 'RamPush' | 'Device' | 'RamPull' | 'Server'

/** How every instance_migrate saga so far ended, in order (both instances share the list). */
const migrateSagas: ('succeeded' | 'unwound')[] = []

/**
 * One failed attempt: `instance` runs on `home` and is migrated to `away`; the migration fails on
 * `side` at `phase`; `n` is the index of the target VMM the attempt makes.
 */
function failedAttempt(b: ScenarioBuilder, instance: string, n: number, side: Side, phase: Phase, home: string, away: string): ScenarioBuilder {
  b.note(`${instance}: migration ${n} fails on the ${side} at ${phase}`).failMigration({ instance }, side, phase)
  if (phase === 'Sync') {
    // The target's ensure blocks through the sync phase, so its 500 reaches INSTANCE_MIGRATE: the
    // saga unwinds (the sled-agent has already reported the target failed).
    migrateSagas.push('unwound')
    b.migrate(instance, away, { expectError: { status: 500, errorCode: 'Internal', message: 'Internal Server Error' } })
      .expectSagas({ name: 'instance_migrate', states: [...migrateSagas], failedNode: 'instance-migrate' })
  } else {
    // The target's ensure returned 201 after the sync phase: the saga succeeded, the failure comes by report.
    migrateSagas.push('succeeded')
    b.migrate(instance, away).expectSagas({ name: 'instance_migrate', states: [...migrateSagas] }).expectInstance(instance, { runState: 'migrating' })
  }
  return b
    .runUntil({ vmm: { instance, which: n }, state: 'failed' }, '1m')
    .runUntil({ instance, runState: 'running' }, '1m')
    .expectInstance(instance, { runState: 'running', sled: home })
    .expectRecord(instance, { state: 'vmm', intendedState: 'running', hasActiveVmm: true, hasTargetVmm: false, hasMigration: false, updaterLocked: false })
    .expectVmm({ instance, which: 0 }, { state: 'running', sled: home })
    .expectVmm({ instance, which: n }, { state: 'failed', failureReason: 'from_sled_agent', sled: away })
    .expectMigration(instance, { sourceState: 'failed', targetState: 'failed' })
    // Whether the update saga destroyed the target (it was still the target when it failed) or it
    // was abandoned first (the source's failure cleared the ids), the reaper leaves nothing behind.
    .activate('abandoned_vmm_reaper')
    .expectVmm({ instance, which: n }, { state: 'failed', deleted: true })
    // One live reservation per instance: the failed target's is gone.
    .expectReservations(2)
}

/** The attempt that succeeds: the instance ends on `away` with both sides completed. */
function successfulAttempt(b: ScenarioBuilder, instance: string, n: number, away: string): ScenarioBuilder {
  migrateSagas.push('succeeded')
  return b
    .note(`${instance}: migration ${n} succeeds`)
    .migrate(instance, away)
    .expectSagas({ name: 'instance_migrate', states: [...migrateSagas] })
    .runUntil({ instance, runState: 'running' }, '1m')
    .expectInstance(instance, { runState: 'running', sled: away })
    .expectVmm({ instance, which: n }, { state: 'running', sled: away })
    .expectMigration(instance, { sourceState: 'completed', targetState: 'completed' })
    .expectRecord(instance, { state: 'vmm', hasTargetVmm: false, hasMigration: false, updaterLocked: false })
    .runUntil({ vmm: { instance, which: 0 }, state: 'destroyed' }, '1m')
}

let b = scenario({
  name: 'migration-failure-phases',
  description:
    'Migrations fail on the target (Sync, RamPush, Device, RamPull, Server) and on the source (Sync, RamPush, Device, Server; the source never publishes RamPull), and each time the instance keeps running on its source, the target VMM ends failed (from_sled_agent) and is removed, and the migration is failed on both sides (omicron test_migration_target_failed). A Sync failure fails the target\'s ensure, so the migrate saga unwinds with a 500; later phases fail after the saga succeeded and arrive by report. A last migration of each instance then succeeds.',
})
  .create('a', { ncpus: 2, memory: '4GiB', start: true })
  .create('b', { ncpus: 2, memory: '4GiB', start: true })
  .runUntil({ instance: 'a', runState: 'running' }, '1m')
  .runUntil({ instance: 'b', runState: 'running' }, '1m')
  .expectInstance('a', { sled: 'sled-1' })
  .expectInstance('b', { sled: 'sled-2' })
  .expectProvisioning(4, '8GiB')

const targetPhases: Phase[] = ['Sync', 'RamPush', 'Device', 'RamPull', 'Server']
targetPhases.forEach((phase, i) => {
  b = failedAttempt(b, 'a', i + 1, 'target', phase, 'sled-1', 'sled-2')
})
const sourcePhases: Phase[] = ['Sync', 'RamPush', 'Device', 'Server']
sourcePhases.forEach((phase, i) => {
  b = failedAttempt(b, 'b', i + 1, 'source', phase, 'sled-2', 'sled-1')
})
b = successfulAttempt(b, 'a', targetPhases.length + 1, 'sled-2')
b = successfulAttempt(b, 'b', sourcePhases.length + 1, 'sled-1')

export default b
  .activate('abandoned_vmm_reaper')
  .expectReservations(1, 'sled-1')
  .expectReservations(1, 'sled-2')
  .expectProvisioning(4, '8GiB')
  .expectVmmCount('a', targetPhases.length + 2)
  .expectVmmCount('b', sourcePhases.length + 2)
  // Each failure was reported by the sled-agent; none was synthesised by Nexus.
  .expectTrace('no_such_instance', { count: 0 })
  .build()
