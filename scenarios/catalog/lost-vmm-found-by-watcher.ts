// A sled-agent that silently forgot a VMM: the watcher's next pass gets 404 NO_SUCH_INSTANCE, fails
// the VMM as no_such_instance, the instance goes failed and reincarnation restarts it.
import { scenario } from '../define.ts'

export default scenario({
  name: 'lost-vmm-found-by-watcher',
  description:
    "The sled-agent forgets a running instance's VMM without telling Nexus. The instance watcher's next GET gets 404 NO_SUCH_INSTANCE, marks the VMM failed(no_such_instance), the update saga moves the instance to failed and frees its resources, and reincarnation restarts it (test_instance_failed_by_instance_watcher_automatically_reincarnates).",
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .expectInstance('web', { autoRestartEnabled: true, autoRestarted: false })
  // The sled forgets the VMM; Nexus has not noticed yet.
  .forgetVmm({ instance: 'web' })
  .expectInstance('web', { runState: 'running' })
  .expectVmm({ instance: 'web' }, { state: 'running', failureReason: null })
  // The watcher's pass finds it gone.
  .activate('instance_watcher')
  .expectTrace('operation=vmm_get_state', { count: 1 })
  .expectTrace('status=404', { count: 1 })
  .expectTrace('task=instance_watcher  status={"failed_checks":{"no_such_instance":1}', { count: 1 })
  .expectVmm({ instance: 'web', which: 0 }, { state: 'failed', failureReason: 'no_such_instance', deleted: true })
  .expectTrace('instance_update.decided', { count: 1 })
  .expectTrace('decision="state=failed', { count: 1 })
  // The update saga asked reincarnation to run, and it has already started the instance again.
  .expectTrace('instance_update.activation_requested', { count: 1 })
  .expectInstance('web', { runState: 'starting', autoRestarted: true })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .expectVmmCount('web', 2)
  .expectRecord('web', { state: 'vmm', intendedState: 'running', hasActiveVmm: true, updaterLocked: false })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded'] })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .build()
