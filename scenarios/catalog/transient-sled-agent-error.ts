// A sled-agent error that is not 404 NO_SUCH_INSTANCE leaves the instance alone (RFD 486): the
// caller gets the mapped error, the instance keeps running, and a retry works.
import { scenario } from '../define.ts'

export default scenario({
  name: 'transient-sled-agent-error',
  description:
    "A running instance's sled-agent answers one put-state with a 500, one with a 503, and later drops one on the floor (network error). The reboots fail with 500 \"Internal Server Error\" and 503 \"Service Unavailable\", the stop with 502 \"Internal Server Error\", but none of them fails the instance: it keeps running on the same VMM and the retried reboot and stop succeed (test_instances_are_not_marked_failed_on_other_sled_agent_errors; the fix for omicron#4226).",
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  // Part 1: a 500 on the reboot's put-state.
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'something went wrong' } })
  .reboot('web', { expectError: { status: 500, errorCode: 'Internal', message: 'Internal Server Error' } })
  .expectInstance('web', { runState: 'running' })
  .expectVmm({ instance: 'web' }, { state: 'running', failureReason: null })
  .expectRecord('web', { state: 'vmm', intendedState: 'running', gen: 3, hasActiveVmm: true, updaterLocked: false })
  // A watcher pass sees a healthy VMM and changes nothing.
  .activate('instance_watcher')
  .expectInstance('web', { runState: 'running' })
  .reboot('web')
  .expectInstance('web', { runState: 'rebooting' })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  // A 503 passes through as 503, the only error Omicron calls retryable; still no state change.
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 503 } })
  .reboot('web', { expectError: { status: 503, errorCode: 'ServiceNotAvailable', message: 'Service Unavailable' } })
  .expectInstance('web', { runState: 'running' })
  .expectVmm({ instance: 'web' }, { state: 'running', failureReason: null })
  // Part 2: the stop's put-state never gets an answer.
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: 'network_error' })
  .stop('web', { expectError: { status: 502, errorCode: 'Internal', message: 'Internal Server Error' } })
  .expectInstance('web', { runState: 'running' })
  .expectVmm({ instance: 'web' }, { state: 'running', failureReason: null })
  // The stop wrote its intent before it failed (omicron-behaviour.md §4.6, quirk 5).
  .expectRecord('web', { state: 'vmm', intendedState: 'stopped', gen: 3, hasActiveVmm: true, updaterLocked: false })
  .advance('5m')
  .expectInstance('web', { runState: 'running' })
  .expectVmmCount('web', 1)
  .stop('web')
  .runUntil({ instance: 'web', runState: 'stopped' }, '1m')
  .expectVmm({ instance: 'web', which: 0 }, { state: 'destroyed', failureReason: null, deleted: true })
  .expectSagas({ name: 'instance_start', states: ['succeeded'] })
  .expectTrace('failure_reason=no_such_instance', { count: 0 })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .build()
