// Two starts race for the last slot on the rack: placement re-validates at insert, so one wins.
import { op, scenario } from '../define.ts'

export default scenario({
  name: 'placement-race-last-slot',
  description:
    'Two sleds of 8 hardware threads; one is already taken by a 6-vCPU instance, so the other has room for one more. Two 6-vCPU instances start at the same moment: both start sagas run side by side and reach alloc-server together. One reservation lands first; the other placement then finds no sled with room (had it picked the sled before that insert, the insert’s own re-check of the sled’s space would have refused it and dropped the sled, to the same end) and fails at alloc-server with 507 InsufficientCapacity "Failed to place instance: Could not find any valid sled …". The loser leaves nothing behind: no VMM, no reservation, no provisioning, its record untouched but for the intent (omicron-behaviour §1.3 step 6, DS sled_reservation_concurrent_space_requirement).',
  config: { sleds: [{ hardwareThreads: 8 }, { hardwareThreads: 8 }] },
})
  .create('first', { ncpus: 6, memory: '4GiB', start: true })
  .runUntil({ instance: 'first', runState: 'running' }, '1m')
  .create('a', { ncpus: 6, memory: '4GiB' })
  .create('b', { ncpus: 6, memory: '4GiB' })
  .concurrently(
    op.start('a'),
    op.start('b', {
      expectError: {
        status: 507,
        errorCode: 'InsufficientCapacity',
        message: 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed',
      },
    }),
  )
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded', 'unwound'], failedNode: 'alloc-server' })
  .expectRecord('b', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false, updaterLocked: false })
  .expectInstance('b', { runState: 'stopped', autoRestarted: false })
  .expectVmmCount('b', 0)
  .expectReservations(2)
  .expectProvisioning(12, '8GiB')
  .runUntil({ instance: 'a', runState: 'running' }, '1m')
  .expectRecord('a', { state: 'vmm', intendedState: 'running', hasActiveVmm: true })
  .expectReservations(1, 'sled-1')
  .expectReservations(1, 'sled-2')
  .build()
