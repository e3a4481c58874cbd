// Anti-affinity groups on a two-sled rack: `fail` refuses a third member, `allow` lets it share.
import { scenario } from '../define.ts'

export default scenario({
  name: 'placement-anti-affinity',
  description:
    'Two sleds. Three instances in an anti-affinity group with policy fail: the first two start on different sleds (each member holding a reservation bans its sled for the others); the third finds every sled banned and fails at alloc-server with 507 InsufficientCapacity "Failed to place instance: Could not find any valid sled …", leaving nothing behind. Joining a group needs a stopped instance: a running one gets 400 "Instance cannot be added to anti-affinity group with reservation". With policy allow, the third member is only steered away from its peers and, with no sled free of them, starts anyway (omicron-behaviour §1.3 step 4–5; IT test_anti_affinity_group_usage).',
})
  .antiAffinityGroup('spread', 'fail')
  .antiAffinityGroup('spread', 'allow', {
    expectError: { status: 400, errorCode: 'ObjectAlreadyExists', message: 'already exists: anti-affinity-group "spread"' },
  })
  .create('a', { ncpus: 2, memory: '4GiB', antiAffinityGroups: ['spread'] })
  .create('b', { ncpus: 2, memory: '4GiB', antiAffinityGroups: ['spread'] })
  .create('c', { ncpus: 2, memory: '4GiB', antiAffinityGroups: ['spread'] })
  .start('a')
  .start('b')
  .expectReservations(1, 'sled-1')
  .expectReservations(1, 'sled-2')
  .start('c', {
    expectError: {
      status: 507,
      errorCode: 'InsufficientCapacity',
      message: 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed',
    },
  })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded', 'unwound'], failedNode: 'alloc-server' })
  .expectRecord('c', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false })
  .expectInstance('c', { runState: 'stopped' })
  .expectVmmCount('c', 0)
  .expectReservations(2)
  .expectProvisioning(4, '8GiB')
  .runUntil({ instance: 'b', runState: 'running' }, '1m')
  .antiAffinityGroupMember('spread', 'c', {
    expectError: { status: 400, errorCode: 'ObjectAlreadyExists', messageIncludes: 'already exists: anti-affinity-group-member "' },
  })
  .note('policy allow: the same three, in a group that only prefers to keep them apart')
  .antiAffinityGroup('loose', 'allow')
  .create('d', { ncpus: 2, memory: '4GiB', antiAffinityGroups: ['loose'] })
  .create('e', { ncpus: 2, memory: '4GiB', antiAffinityGroups: ['loose'] })
  .create('f', { ncpus: 2, memory: '4GiB' })
  .start('f')
  .antiAffinityGroupMember('loose', 'f', {
    expectError: { status: 400, errorCode: 'InvalidRequest', message: 'Instance cannot be added to anti-affinity group with reservation' },
  })
  .stop('f')
  .runUntil({ instance: 'f', runState: 'stopped' }, '1m')
  .antiAffinityGroupMember('loose', 'f')
  .start('d')
  .start('e')
  .expectReservations(2, 'sled-1')
  .expectReservations(2, 'sled-2')
  .start('f')
  .runUntil({ instance: 'f', runState: 'running' }, '1m')
  .expectReservations(5)
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded', 'unwound', 'succeeded', 'succeeded', 'succeeded', 'succeeded'] })
  .expectProvisioning(10, '20GiB')
  .build()
