// A Propolis crash fails the VMM; auto-restart brings the instance back at once the first time,
// and only after the cooldown the second time.
import { scenario } from '../define.ts'

export default scenario({
  name: 'propolis-crash-auto-restart-cooldown',
  description:
    'propolis-server panics and SMF restarts it without a VM, so the sled-agent fails the VMM (from_sled_agent) and the update saga hands the failed instance to reincarnation, which restarts it at once. A second crash right after fails it again, and now the default 5-minute cooldown since the last auto-restart (omicron#9096/#9097, RI test_cooldown_on_subsequent_reincarnations) keeps it failed until a reincarnation pass after the cooldown restarts it.',
  config: { propolis: { restartAfterCrash: '1s' } },
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectInstance('vm', { runState: 'running', autoRestartEnabled: true, autoRestarted: false })
  .note('first crash: restarted at once')
  .vmm({ instance: 'vm' }, 'crash')
  .runUntil({ vmm: { instance: 'vm', which: 0 }, state: 'failed' }, '1m')
  .expectTrace('event=restarted', { count: 1 })
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'failed', failureReason: 'from_sled_agent', gen: 6, deleted: true })
  // Failed (gen 4) and restarted (gen 5) within one instant: the failure is too quick to observe.
  .expectTrace('decision="state=failed gen=4', { count: 1 })
  .expectTrace('reason="instance update left it to reincarnate"', { count: 1 })
  .expectInstance('vm', { runState: 'starting', autoRestarted: true })
  .expectRecord('vm', { state: 'vmm', gen: 5, intendedState: 'running', updaterLocked: false })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded'] })
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'running' })
  .expectProvisioning(2, '4GiB')
  .note('second crash: the cooldown runs 5 minutes from the first auto-restart (5.9 s)')
  .vmm({ instance: 'vm' }, 'crash')
  .runUntil({ instance: 'vm', runState: 'failed' }, '1m')
  .expectVmm({ instance: 'vm', which: 1 }, { state: 'failed', failureReason: 'from_sled_agent', deleted: true })
  .expectRecord('vm', { state: 'failed', gen: 6, hasActiveVmm: false, intendedState: 'running', updaterLocked: false })
  .expectTrace('reason="instance update left it to reincarnate"', { count: 1 })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  // 301.9 s: every periodic pass so far skipped it, and so does one now, 4 s before the cooldown ends.
  .advance('4m50s')
  .activate('instance_reincarnation')
  .expectInstance('vm', { runState: 'failed' })
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded'] })
  .expectVmmCount('vm', 2)
  // 306.9 s: the cooldown is over; the next pass restarts it.
  .advance('5s')
  .expectInstance('vm', { runState: 'failed' })
  .activate('instance_reincarnation')
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded', 'succeeded'] })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectInstance('vm', { runState: 'running', autoRestarted: true })
  .expectVmmCount('vm', 3)
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .build()
