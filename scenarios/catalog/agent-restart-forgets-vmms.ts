// A sled-agent restart that loses its VMMs: while the agent is down the watcher's checks are
// inconclusive; once it is back it answers 404 NO_SUCH_INSTANCE, and the instance fails and restarts.
import { scenario } from '../define.ts'

export default scenario({
  name: 'agent-restart-forgets-vmms',
  description:
    "A sled-agent restarts and comes back knowing none of its VMMs. While it is down the watcher gets no answer, MGS says the sled is in A0, and nothing changes; once it is back its 404 NO_SUCH_INSTANCE makes the watcher fail the VMM as no_such_instance, the instance goes failed and reincarnation restarts it (omicron-behaviour.md §4.5: after a restart every query for an old VMM is 404 NO_SUCH_INSTANCE).",
  config: { sledAgent: { agentRestartTime: '40s' } },
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .sled('sled-1', 'restartAgentForgettingVmms')
  // The agent is still restarting: no answer, the SP is in A0, so the check is inconclusive.
  .activate('instance_watcher')
  .expectTrace('task=instance_watcher  status={"failed_checks":{},"incomplete_checks":{"unreachable":1}', { count: 1 })
  .expectVmm({ instance: 'web' }, { state: 'running', failureReason: null })
  .expectInstance('web', { runState: 'running' })
  // The agent is back without the VMM: the next pass gets 404 NO_SUCH_INSTANCE.
  .runUntil({ vmm: { instance: 'web', which: 0 }, state: 'failed' }, '2m')
  .expectVmm({ instance: 'web', which: 0 }, { failureReason: 'no_such_instance', deleted: true })
  .expectTrace('"failed_checks":{"no_such_instance":1}', { count: 1 })
  .expectTrace('decision="state=failed', { count: 1 })
  // The update saga hands the failed instance to reincarnation, which starts it again.
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .expectInstance('web', { autoRestarted: true })
  .expectVmmCount('web', 2)
  .expectRecord('web', { state: 'vmm', intendedState: 'running', hasActiveVmm: true, updaterLocked: false })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded'] })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .build()
