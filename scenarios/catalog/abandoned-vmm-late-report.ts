// omicron#5042: state reports from a VMM that a start saga abandoned must not release provisioning again.
import { scenario } from '../define.ts'

export default scenario({
  name: 'abandoned-vmm-late-report',
  description:
    'omicron#5042: the start saga times out on a Run request the sled-agent is slow to take, unwinds and releases provisioning, but its unregister is lost, so the sled boots the abandoned VMM anyway and later reports it running and, after the guest halts, destroyed. The late reports land on the saga_unwound row (expected violation terminal_vmm_frozen: a VMM Nexus gave up on comes back) but never touch the instance: the destroyed report runs an update saga that finds nothing to do (the #5749 fix), so the provisioning of the instance, restarted meanwhile, is not released twice.',
  expectViolations: ['terminal_vmm_frozen'],
})
  .create('vm', { ncpus: 2, memory: '4GiB' })
  .expectProvisioning(0, 0)
  // The Run request reaches the sled only after Nexus has stopped waiting; the unwind's unregister never does.
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { delay: '90s' }, label: 'slow-run' })
  .fault({ target: 'sled-agent', operation: 'vmm_unregister', times: 1, respond: 'network_error', label: 'lost-unregister' })
  .start('vm', { expectError: { status: 500, errorCode: 'Internal', message: 'Internal Server Error' } })
  .expectSagas({ name: 'instance_start', states: ['unwound'], failedNode: 'ensure-running' })
  .expectTrace('request timed out', { atLeast: 1 })
  // A lost unregister counts as "already gone" (not 404 NO_SUCH_INSTANCE), so the unwind went on.
  .expectTrace('respond=network_error', { count: 1 })
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'saga_unwound', gen: 3, deleted: false })
  // Stopped with intent running: an unwound start after MARK_AS_STARTING (omicron#7727).
  .expectInstance('vm', { runState: 'stopped' })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'running', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .note('the delayed Run reaches the sled-agent, which still holds the VMM, and boots it')
  .runUntil({ vmm: { instance: 'vm', which: 0 }, state: 'running' }, '1m')
  // The first late report carries gen 3, which the saga_unwound write already used: ignored.
  .expectTrace('state=starting  gen=3  outcome=ignored', { count: 1 })
  .expectTrace('state=running  gen=5  outcome=recorded', { count: 1 })
  .expectInstance('vm', { runState: 'stopped' })
  .expectRecord('vm', { state: 'no_vmm', gen: 4, hasActiveVmm: false })
  .expectProvisioning(0, 0)
  .note('the user starts the instance again; the ghost keeps running')
  .start('vm')
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'running' })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .note('the abandoned VMM halts and reports destroyed')
  .vmm({ instance: 'vm', which: 0 }, 'guestShutdown')
  .runUntil({ vmm: { instance: 'vm', which: 0 }, state: 'destroyed' }, '1m')
  .expectSagas({ name: 'start-instance-update', states: ['succeeded'] })
  .expectSagas({ name: 'instance-update', states: [] })
  .expectTrace('decision="no update needed"', { count: 1 })
  .expectInstance('vm', { runState: 'running' })
  .expectRecord('vm', { state: 'vmm', intendedState: 'running', gen: 5, hasActiveVmm: true, updaterLocked: false })
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'running' })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .activate('abandoned_vmm_reaper')
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'destroyed', deleted: true })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  // Only the user's stop releases it, once.
  .stop('vm')
  .runUntil({ instance: 'vm', runState: 'stopped' }, '1m')
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .build()
