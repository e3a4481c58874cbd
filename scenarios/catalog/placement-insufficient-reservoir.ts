// Placement runs out of reservoir: omicron's test_cannot_provision_instance_beyond_ram_capacity.
import { scenario } from '../define.ts'

const NO_SLED = {
  status: 507,
  errorCode: 'InsufficientCapacity',
  message: 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed',
} as const

export default scenario({
  name: 'placement-insufficient-reservoir',
  description:
    'Two sleds with an 8 GiB reservoir. A 16 GiB instance fits nowhere: 507 InsufficientCapacity "Failed to place instance: Could not find any valid sled …" at alloc-server. An instance of exactly 8 GiB fits (a reservation may fill the reservoir to the byte); two of them take both sleds and a third gets the 507 until one stops (omicron-behaviour §1.3, IT test 14).',
  config: { sleds: [{ reservoirGiB: 8 }, { reservoirGiB: 8 }] },
})
  .create('too-big', { ncpus: 2, memory: '16GiB' })
  .start('too-big', { expectError: NO_SLED })
  .expectSagas({ name: 'instance_start', states: ['unwound'], failedNode: 'alloc-server' })
  .expectRecord('too-big', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false })
  .expectVmmCount('too-big', 0)
  .expectReservations(0)
  .note('8 GiB each: exactly a reservoir')
  .create('a', { ncpus: 2, memory: '8GiB', start: true })
  .create('b', { ncpus: 2, memory: '8GiB', start: true })
  .expectReservations(1, 'sled-1')
  .expectReservations(1, 'sled-2')
  .create('c', { ncpus: 2, memory: '8GiB' })
  .start('c', { expectError: NO_SLED })
  .expectSagas({ name: 'instance_start', states: ['unwound', 'succeeded', 'succeeded', 'unwound'], failedNode: 'alloc-server' })
  .expectRecord('c', { state: 'no_vmm', intendedState: 'running', gen: 2 })
  .expectVmmCount('c', 0)
  .expectProvisioning(4, '16GiB')
  .runUntil({ instance: 'b', runState: 'running' }, '1m')
  .stop('b')
  .runUntil({ instance: 'b', runState: 'stopped' }, '1m')
  .start('c')
  .runUntil({ instance: 'c', runState: 'running' }, '1m')
  .expectReservations(2)
  .expectProvisioning(4, '16GiB')
  .build()
