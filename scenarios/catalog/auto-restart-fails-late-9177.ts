// omicron#9177: an automatic restart whose start saga fails after MARK_AS_STARTING leaves the instance
// stopped with intent running, and nothing ever tries again.
import { scenario } from '../define.ts'

export default scenario({
  name: 'auto-restart-fails-late-9177',
  description:
    'A best_effort instance runs; its sled-agent forgets the VMM. The watcher marks the VMM failed (no_such_instance), the update saga fails the instance and wakes reincarnation, whose start saga (reason auto_restart) gets as far as ENSURE_RUNNING, where the sled-agent answers the Run request with a 500. The saga unwinds: MARK_AS_STARTING’s undo returns the instance to no_vmm before the VMM is marked saga_unwound, so the instance rests stopped with intent running, time_last_auto_restarted set, and no record of why. Neither reincarnation query (failed, or an active saga_unwound VMM) matches it, so after the cooldown and many periodic passes nothing retries it: the dogfood state of omicron#9177 (omicron-behaviour §1.4, §3.4, §8 item 1; #9174, #7727).',
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .note('the next Run request any sled gets fails with a 500; then the sled-agent forgets the VMM')
  .fault({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'injected: propolis did not take the run request' } })
  .forgetVmm({ instance: 'vm' })
  .activate('instance_watcher')
  .runUntil({ saga: 'instance_start', state: 'unwound' }, '1m')
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'failed', failureReason: 'no_such_instance' })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound'], failedNode: 'ensure-running' })
  .expectTrace('fault.injected  fault=1  target=sled-agent  operation=vmm_put_state', { count: 1 })
  // The only trace of why: the reincarnation task's status for that one activation.
  .expectTrace('"restart_errors":["', { count: 1 })
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'saga_unwound', failureReason: null })
  .expectInstance('vm', { runState: 'stopped', autoRestartEnabled: true, autoRestarted: true })
  // failed at gen 4 by the update saga, vmm at 5 by MARK_AS_STARTING, no_vmm at 6 by its undo.
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'running', gen: 6, hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .note('twenty minutes of periodic reincarnation passes, well past the 5-minute cooldown: never retried')
  .advance('20m')
  .activate('instance_reincarnation')
  .expectTrace('"instances_found":{"failed":0,"saga_unwound":0}', { atLeast: 20 })
  .expectInstance('vm', { runState: 'stopped' })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'running' })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'unwound'] })
  .expectVmmCount('vm', 2)
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'saga_unwound', deleted: true })
  .build()
