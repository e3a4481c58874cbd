// Seed 003: Nexus dies in the middle of a start saga; the next Nexus recovers it from the saga log.
import { scenario } from '../define.ts'

export default scenario({
  name: 'nexus-crash-mid-start-saga',
  description:
    'Nexus crashes right after instance_start’s ENSURE_REGISTERED succeeded: the VMM is registered on its sled, the instance points at it, nothing is provisioned yet. The caller of the start gets no answer (here a 503, what a load balancer would say), the saga stays running in the log, and the registered VMM waits on its sled (Run was never asked for, so it has nothing to report). When Nexus restarts it recovers the saga from the log and runs the remaining nodes (ADD_VIRTUAL_RESOURCES, ENSURE_RUNNING); the instance reaches running and every saga ends succeeded (seed 003: a start carried on in the background by another Nexus).',
})
  .create('vm', { ncpus: 2, memory: '4GiB' })
  .sagaFault('instance_start', 'ensure-registered', 'crashNexusAfter')
  .start('vm', { expectError: { status: 503, errorCode: 'ServiceNotAvailable', messageIncludes: 'nexus is down' } })
  .expectTrace('nexus.crashed', { count: 1 })
  .expectSagas({ name: 'instance_start', states: ['running'] })
  .expectRecord('vm', { state: 'vmm', intendedState: 'running', gen: 3, hasActiveVmm: true, updaterLocked: false })
  .expectVmm({ instance: 'vm' }, { state: 'starting', gen: 2 })
  .expectProvisioning(0, 0)
  .expectReservations(1)
  .note('Nexus stays down for 45 s: not even the watcher’s 30 s pass runs meanwhile')
  .advance('45s')
  .expectTrace('nexus.restarted', { count: 0 })
  .expectTrace('task.activated', { count: 0 })
  .restartNexus()
  .expectTrace('nexus.restarted', { count: 1 })
  .runUntil({ instance: 'vm', runState: 'running' }, '2m')
  .expectSagas({ name: 'instance_start', states: ['succeeded'] })
  .expectSagas({ states: ['succeeded', 'succeeded'] })
  .expectRecord('vm', { state: 'vmm', intendedState: 'running', gen: 3, hasActiveVmm: true, updaterLocked: false })
  .expectVmm({ instance: 'vm' }, { state: 'running' })
  .expectVmmCount('vm', 1)
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .build()
