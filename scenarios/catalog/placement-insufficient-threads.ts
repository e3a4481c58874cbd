// Placement runs out of hardware threads: omicron's test_cannot_provision_instance_beyond_cpu_capacity.
import { scenario } from '../define.ts'

const NO_SLED = {
  status: 507,
  errorCode: 'InsufficientCapacity',
  message: 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed',
} as const

export default scenario({
  name: 'placement-insufficient-threads',
  description:
    'Two sleds of 16 hardware threads. An instance of 17 vCPUs fits nowhere: its start fails at alloc-server with 507 InsufficientCapacity and "Failed to place instance: Could not find any valid sled …", and nothing about it changes but the intent. Two 16-vCPU instances take one sled each; a third gets the same 507 until one of them stops and its reservation is released, and then it starts (omicron-behaviour §1.3, IT test 13).',
  config: { sleds: [{ hardwareThreads: 16 }, { hardwareThreads: 16 }] },
})
  .create('too-big', { ncpus: 17, memory: '4GiB' })
  .start('too-big', { expectError: NO_SLED })
  .expectSagas({ name: 'instance_start', states: ['unwound'], failedNode: 'alloc-server' })
  .expectRecord('too-big', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false })
  .expectInstance('too-big', { runState: 'stopped' })
  .expectVmmCount('too-big', 0)
  .expectReservations(0)
  .note('two instances of 16 vCPUs fill both sleds')
  .create('a', { ncpus: 16, memory: '4GiB', start: true })
  .create('b', { ncpus: 16, memory: '4GiB', start: true })
  .expectReservations(1, 'sled-1')
  .expectReservations(1, 'sled-2')
  .create('c', { ncpus: 16, memory: '4GiB' })
  .start('c', { expectError: NO_SLED })
  .expectSagas({ name: 'instance_start', states: ['unwound', 'succeeded', 'succeeded', 'unwound'], failedNode: 'alloc-server' })
  .expectRecord('c', { state: 'no_vmm', intendedState: 'running', gen: 2 })
  .expectVmmCount('c', 0)
  .expectProvisioning(32, '8GiB')
  .note('once a stops, its sled has room again')
  .runUntil({ instance: 'a', runState: 'running' }, '1m')
  .stop('a')
  .runUntil({ instance: 'a', runState: 'stopped' }, '1m')
  .expectReservations(1)
  .start('c')
  .runUntil({ instance: 'c', runState: 'running' }, '1m')
  .expectReservations(2)
  .expectProvisioning(32, '8GiB')
  .build()
