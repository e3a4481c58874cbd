// A forgotten VMM found by a user's stop: 503, VMM failed(no_such_instance), instance failed; the
// stop already wrote intent stopped, so reincarnation leaves it alone. A second stop is DB-only.
import { scenario } from '../define.ts'

const GONE = 'The instance was running but is no longer reachable. It is being moved to the Failed state.'

export default scenario({
  name: 'lost-vmm-found-by-stop',
  description:
    "The sled-agent forgets a running best_effort instance's VMM and a stop is the first to notice: 503 \"no longer reachable\", VMM failed(no_such_instance), instance failed. The stop set the intent to stopped first, so reincarnation never restarts it; a second stop moves it to stopped without any sled-agent call, and it can be deleted (test_instance_failed_by_stop_request_does_not_reincarnate, ..._can_be_stopped).",
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .forgetVmm({ instance: 'web' })
  .stop('web', { expectError: { status: 503, errorCode: null, message: GONE } })
  .expectTrace('status=404', { count: 1 })
  .expectVmm({ instance: 'web', which: 0 }, { state: 'failed', failureReason: 'no_such_instance', deleted: true })
  .expectInstance('web', { runState: 'failed' })
  .expectRecord('web', { state: 'failed', intendedState: 'stopped', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  // Intent stopped: reincarnation finds nothing to do, however often it runs.
  .activate('instance_reincarnation')
  .advance('10m')
  .expectInstance('web', { runState: 'failed', autoRestarted: false })
  .expectVmmCount('web', 1)
  .expectSagas({ name: 'instance_start', states: ['succeeded'] })
  // Stopping a failed instance is DB-only: no_vmm with gen + 1, no saga, no sled-agent call.
  .stop('web')
  .expectInstance('web', { runState: 'stopped' })
  .expectRecord('web', { state: 'no_vmm', intendedState: 'stopped', gen: 5, hasActiveVmm: false })
  .expectTrace('operation=vmm_put_state', { count: 2 })
  .delete('web')
  .expectInstance('web', { gone: true })
  .build()
