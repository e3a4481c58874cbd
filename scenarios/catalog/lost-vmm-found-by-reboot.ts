// A forgotten VMM found by a user's reboot: the put-state call gets 404 NO_SUCH_INSTANCE, Nexus marks
// the VMM failed(no_such_instance), runs the update saga, and only then answers 503.
import { scenario } from '../define.ts'

const GONE = 'The instance was running but is no longer reachable. It is being moved to the Failed state.'

export default scenario({
  name: 'lost-vmm-found-by-reboot',
  description:
    "The sled-agent forgets a running instance's VMM; a reboot is the first to notice. The reboot fails with 503 and Omicron's \"no longer reachable\" message, the VMM is failed(no_such_instance) and the instance already failed when the error returns; with policy never it stays failed, and a start brings it back (test_instance_failed_after_sled_agent_forgets_vmm_can_be_restarted).",
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'never' })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .forgetVmm({ instance: 'web' })
  // The reboot finds the VMM gone: 503, and the update saga has run before the error is returned.
  .reboot('web', { expectError: { status: 503, errorCode: null, message: GONE } })
  .expectTrace('operation=vmm_put_state', { count: 2 })
  .expectTrace('status=404', { count: 1 })
  .expectVmm({ instance: 'web', which: 0 }, { state: 'failed', failureReason: 'no_such_instance', deleted: true })
  .expectInstance('web', { runState: 'failed', autoRestarted: false })
  .expectRecord('web', { state: 'failed', intendedState: 'running', hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  // Reboot of a failed instance is refused; with policy never nothing restarts it.
  .reboot('web', { expectError: { status: 400, message: 'instance state cannot be changed from failed' } })
  .advance('10m')
  .expectInstance('web', { runState: 'failed' })
  .expectVmmCount('web', 1)
  // A user start works from failed.
  .start('web')
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .expectVmmCount('web', 2)
  .expectRecord('web', { state: 'vmm', intendedState: 'running', hasActiveVmm: true })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded'] })
  .expectProvisioning(2, '4GiB')
  .build()
