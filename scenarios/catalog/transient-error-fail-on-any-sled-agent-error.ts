// Seed 002's bug, omicron#4226: with the pre-2024 rule, any sled-agent error that is not a 4xx fails
// a healthy instance. The same faults as transient-sled-agent-error, with the old rule switched on.
import { scenario } from '../define.ts'

export default scenario({
  name: 'transient-error-fail-on-any-sled-agent-error',
  description:
    "With failOnAnySledAgentError (Nexus before #4682), a single 500 on a reboot's put-state, and later a network error on a stop's, each moves a healthy running instance to failed: the VMM is marked failed (no reason, so prehistoric), the update saga frees its resources, and the caller gets 500. This reproduces seed 002, omicron#4226: instances moved to Failed while healthy.",
  config: { nexus: { failOnAnySledAgentError: true } },
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'never' })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  // Part 1: one 500 on the reboot fails the instance.
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'something went wrong' } })
  .reboot('web', { expectError: { status: 500, errorCode: 'Internal', message: 'Internal Server Error' } })
  .expectVmm({ instance: 'web', which: 0 }, { state: 'failed', failureReason: 'prehistoric', deleted: true })
  .expectInstance('web', { runState: 'failed' })
  .expectRecord('web', { state: 'failed', intendedState: 'running', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  // Yet nothing stopped its Propolis: the guest was healthy all along, and is now orphaned.
  .expectTrace('event=zone_removed', { count: 0 })
  // Failed instances can be started again (since #6455); the old Nexus could only delete them.
  .start('web')
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  // Part 2: a network blip on the stop fails it too, through the same generic 500.
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: 'network_error' })
  .stop('web', { expectError: { status: 500, errorCode: 'Internal', message: 'Internal Server Error' } })
  .expectVmm({ instance: 'web', which: 1 }, { state: 'failed', failureReason: 'prehistoric', deleted: true })
  .expectInstance('web', { runState: 'failed' })
  .expectRecord('web', { state: 'failed', intendedState: 'stopped', gen: 6, hasActiveVmm: false, updaterLocked: false })
  .expectVmmCount('web', 2)
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .build()
