// omicron#9177 with the omicron#7727 proposal on: the unwound restart leaves the instance failed, so
// reincarnation tries again once the cooldown is over.
import { scenario } from '../define.ts'

export default scenario({
  name: 'auto-restart-fails-late-unwound-leaves-failed',
  description:
    'auto-restart-fails-late-9177 with unwoundStartLeaves: failed (omicron#7727): the automatic restart fails at ENSURE_RUNNING on a sled-agent 500 and unwinds, but MARK_AS_STARTING’s undo now writes failed instead of no_vmm. The instance reads failed (intent running, time_last_auto_restarted stamped by the failed attempt), which the reincarnation query matches: periodic passes skip it while the 5-minute cooldown runs, and the first pass after it restarts the instance, which reaches running.',
  config: { nexus: { unwoundStartLeaves: 'failed' } },
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'injected: propolis did not take the run request' } })
  .forgetVmm({ instance: 'vm' })
  .activate('instance_watcher')
  .runUntil({ saga: 'instance_start', state: 'unwound' }, '1m')
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound'], failedNode: 'ensure-running' })
  .expectInstance('vm', { runState: 'failed', autoRestarted: true })
  .expectRecord('vm', { state: 'failed', intendedState: 'running', gen: 6, hasActiveVmm: false, updaterLocked: false })
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'saga_unwound', failureReason: null })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .note('the cooldown runs 5 minutes from the failed attempt (4 s): the passes at 60 s … 300 s skip it')
  .advance('4m50s')
  .expectInstance('vm', { runState: 'failed' })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound'] })
  .note('the pass at 360 s finds it again and restarts it')
  .runUntil({ saga: 'instance_start', state: 'succeeded', count: 2 }, '2m')
  .expectTrace('"instances_found":{"failed":0,"saga_unwound":0}', { count: 5 })
  .expectTrace('"instances_reincarnated":["', { count: 1 })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectInstance('vm', { runState: 'running', autoRestarted: true })
  .expectRecord('vm', { state: 'vmm', intendedState: 'running', hasActiveVmm: true, updaterLocked: false })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound', 'succeeded'] })
  .expectVmmCount('vm', 3)
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .build()
