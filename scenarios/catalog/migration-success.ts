// An operator migration that succeeds, and the records, reservations and provisioning it leaves.
import { scenario } from '../define.ts'

export default scenario({
  name: 'migration-success',
  description:
    'An operator migrates a running instance to the other sled: it reads migrating until the target reports the migration completed, then running on the destination with both migration sides completed (omicron test_instance_migrate). The update saga makes the target active, clears the ids and swaps the reservations; the source halts to destroyed and the abandoned-VMM reaper deletes it and its tombstoned reservation, while virtual provisioning never moves.',
})
  .create('db', { ncpus: 4, memory: '8GiB', start: true })
  .runUntil({ instance: 'db', runState: 'running' }, '1m')
  .expectInstance('db', { runState: 'running', sled: 'sled-1' })
  .expectProvisioning(4, '8GiB')
  .migrate('db', 'sled-2')
  // The saga ends when the target accepts the migration_target request; the outcome comes by report.
  .expectSagas({ name: 'instance_migrate', states: ['succeeded'] })
  .expectInstance('db', { runState: 'migrating', sled: 'sled-1' })
  .expectRecord('db', { state: 'vmm', gen: 4, hasActiveVmm: true, hasTargetVmm: true, hasMigration: true, intendedState: 'running' })
  .expectVmm({ instance: 'db', which: 'target' }, { state: 'migrating', sled: 'sled-2' })
  .expectMigration('db', { sourceState: 'in_progress', targetState: 'in_progress' })
  .expectReservations(1, 'sled-1')
  .expectReservations(1, 'sled-2')
  .expectProvisioning(4, '8GiB')
  // The source VMM itself reads migrating now, so the first admission check refuses a second migration.
  .migrate('db', 'sled-2', { expectError: { status: 400, errorCode: 'InvalidRequest', message: 'instance must be running before it can migrate' } })
  .runUntil({ instance: 'db', runState: 'running' }, '1m')
  .expectInstance('db', { runState: 'running', sled: 'sled-2' })
  .expectRecord('db', { state: 'vmm', gen: 5, hasActiveVmm: true, hasTargetVmm: false, hasMigration: false, intendedState: 'running', updaterLocked: false })
  .expectVmm({ instance: 'db', which: 1 }, { state: 'running', sled: 'sled-2', failureReason: null })
  .expectMigration('db', { sourceState: 'completed', targetState: 'completed' })
  .expectTrace('swap_reservations', { count: 1 })
  // The source reservation is tombstoned, not yet deleted: only the target's is live.
  .expectReservations(0, 'sled-1')
  .expectReservations(1, 'sled-2')
  .expectProvisioning(4, '8GiB')
  // The source halts after the migration (Stopping, then Destroyed: never Stopped).
  .runUntil({ vmm: { instance: 'db', which: 0 }, state: 'destroyed' }, '1m')
  .expectVmm({ instance: 'db', which: 0 }, { state: 'destroyed', failureReason: null, deleted: false, sled: 'sled-1' })
  .expectInstance('db', { runState: 'running', sled: 'sled-2' })
  // Its destroyed report needs no instance update: the instance no longer points at it.
  .expectTrace('decision="no update needed"', { count: 1 })
  .activate('abandoned_vmm_reaper')
  .expectVmm({ instance: 'db', which: 0 }, { state: 'destroyed', deleted: true })
  .expectTrace('"sled_reservations_deleted":1', { count: 1 })
  .expectReservations(1)
  .expectProvisioning(4, '8GiB')
  .migrate('db', 'sled-2', { expectError: { status: 400, errorCode: 'InvalidRequest', message: 'instance is already running on destination sled' } })
  .expectVmmCount('db', 2)
  .expectSagas({ name: 'instance_migrate', states: ['succeeded'] })
  .build()
