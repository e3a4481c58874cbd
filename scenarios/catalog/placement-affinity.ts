// Affinity groups on a two-sled rack: `fail` insists on the members' sled, `allow` only prefers it,
// and contradictory groups are refused with 400.
import { scenario } from '../define.ts'

const PLACE = 'Failed to place instance: '

export default scenario({
  name: 'placement-affinity',
  description:
    'Two sleds of 64 hardware threads. Members of an affinity group with policy fail go where the first started: the second 24-vCPU member joins it, the third no longer fits there and gets 507 "… must be placed on a specific sled to co-locate it with another instance in its affinity group, but that sled cannot current accept this instance …" (RequiredAffinitySledNotValid) although the other sled is empty. With policy allow the third member just goes to the other sled. An instance whose fail groups hold members on both sleds gets 400 (TooManyAffinityConstraints), and one that an affinity group requires on a sled where an anti-affinity group bans it gets 400 (ConflictingAntiAndAffinityConstraints); neither leaves anything behind (omicron-behaviour §1.3; DS affinity_policy_fail_* tests, IT test_affinity_group_usage).',
})
  .affinityGroup('together', 'fail')
  .create('a', { ncpus: 24, memory: '4GiB', affinityGroups: ['together'] })
  .create('b', { ncpus: 24, memory: '4GiB', affinityGroups: ['together'] })
  .create('c', { ncpus: 24, memory: '4GiB', affinityGroups: ['together'] })
  .start('a')
  .start('b')
  .expectInstance('a', { sled: 'sled-2' })
  .expectInstance('b', { sled: 'sled-2' })
  .start('c', {
    expectError: {
      status: 507,
      errorCode: 'InsufficientCapacity',
      message: `Insufficient capacity: ${PLACE}This instance must be placed on a specific sled to co-locate it with another instance in its affinity group, but that sled cannot current accept this instance. Consider stopping other instances in this instance's affinity groups, or changing its affinity group membership.`,
    },
  })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded', 'unwound'], failedNode: 'alloc-server' })
  .expectRecord('c', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false })
  .expectReservations(0, 'sled-1')
  .stop('a')
  .stop('b')
  .runUntil({ instance: 'b', runState: 'stopped' }, '1m')
  .runUntil({ instance: 'a', runState: 'stopped' }, '1m')
  .expectReservations(0)
  .note('policy allow: the members share a sled while it has room, then the third goes to the other')
  .affinityGroup('near', 'allow')
  .create('d', { ncpus: 24, memory: '4GiB', affinityGroups: ['near'] })
  .create('e', { ncpus: 24, memory: '4GiB', affinityGroups: ['near'] })
  .create('h', { ncpus: 24, memory: '4GiB', affinityGroups: ['near'] })
  .start('d')
  .start('e')
  .start('h')
  .expectInstance('d', { sled: 'sled-1' })
  .expectInstance('e', { sled: 'sled-1' })
  .expectInstance('h', { sled: 'sled-2' })
  .note('two fail affinity groups whose members an anti-affinity group keeps on different sleds')
  .antiAffinityGroup('apart', 'fail')
  .affinityGroup('with-p', 'fail')
  .affinityGroup('with-q', 'fail')
  .create('p', { ncpus: 2, memory: '4GiB', affinityGroups: ['with-p'], antiAffinityGroups: ['apart'] })
  .create('q', { ncpus: 2, memory: '4GiB', affinityGroups: ['with-q'], antiAffinityGroups: ['apart'] })
  .create('f', { ncpus: 2, memory: '4GiB' })
  .affinityGroupMember('with-p', 'f')
  .affinityGroupMember('with-q', 'f')
  .start('p')
  .start('q')
  .start('f', {
    expectError: {
      status: 400,
      errorCode: 'InvalidRequest',
      message: `${PLACE}This instance belongs to an affinity group that requires it be placed on more than one sled. Instances can only placed on a single sled, so this is impossible to satisfy. Consider stopping other instances in the affinity group.`,
    },
  })
  .note('with p, and apart from p')
  .create('g', { ncpus: 2, memory: '4GiB', affinityGroups: ['with-p'], antiAffinityGroups: ['apart'] })
  .start('g', {
    expectError: {
      status: 400,
      errorCode: 'InvalidRequest',
      message: `${PLACE}This instance belongs to an affinity group that requires it to be placed on a sled, but also belongs to an anti-affinity group that prevents it from being placed on that sled. These constraints are contradictory. Consider stopping instances in those affinity/anti-affinity groups, or changing group membership.`,
    },
  })
  .expectSagas({ name: 'instance_start', failedNode: 'alloc-server' })
  .expectRecord('f', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false })
  .expectRecord('g', { state: 'no_vmm', intendedState: 'running', gen: 2, hasActiveVmm: false })
  .expectVmmCount('f', 0)
  .expectVmmCount('g', 0)
  .expectReservations(5)
  .build()
