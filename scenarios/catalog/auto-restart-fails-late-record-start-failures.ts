// omicron#9177 with the seed-003 proposal on: the instance still rests stopped, but says why.
import { scenario } from '../define.ts'

export default scenario({
  name: 'auto-restart-fails-late-record-start-failures',
  description:
    'auto-restart-fails-late-9177 with recordStartFailures on (seed 003, omicron#9185): the same lost VMM, the same automatic restart failing at ENSURE_RUNNING on a sled-agent 500, the same unwind to stopped with intent running. Now the instance view carries startFailure: the failed node ensure-running, start reason auto_restart, the 500 and its message, so the user can see why an instance they never stopped is stopped. Behaviour is otherwise unchanged: nothing retries it.',
  config: { nexus: { recordStartFailures: true } },
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectInstance('vm', { runState: 'running', startFailure: null })
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'injected: propolis did not take the run request' } })
  .forgetVmm({ instance: 'vm' })
  .activate('instance_watcher')
  .runUntil({ saga: 'instance_start', state: 'unwound' }, '1m')
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound'], failedNode: 'ensure-running' })
  .expectInstance('vm', {
    runState: 'stopped',
    autoRestarted: true,
    startFailure: { failedNode: 'ensure-running', startReason: 'auto_restart', messageIncludes: 'Internal Server Error' },
  })
  .expectTrace('nexus.start_failure_recorded', { count: 1 })
  .expectTrace('reason=auto_restart  node=ensure-running  status=500', { count: 1 })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'running', gen: 6, hasActiveVmm: false, updaterLocked: false })
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'saga_unwound', failureReason: null })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .advance('20m')
  .expectInstance('vm', { runState: 'stopped', startFailure: { failedNode: 'ensure-running', startReason: 'auto_restart' } })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound'] })
  .build()
