// Two sleds stop answering for different reasons: one lost power, one is cut off the network. The
// watcher asks MGS; only the sled whose SP is out of A0 has its VMM failed (sled_off).
import { scenario } from '../define.ts'

export default scenario({
  name: 'sled-powered-off-vs-unreachable',
  description:
    'Two running instances, one per sled. Sled-1 loses power and sled-2 is partitioned, so neither sled-agent answers. The watcher asks MGS: sled-1 is not in A0, so its VMM is failed(sled_off) and the instance goes failed; sled-2 is in A0, so its check is inconclusive and nothing changes, and once the partition heals that instance is still running on the same VMM (omicron#10334).',
  // Seed 1 places "dark" on sled-1 and "cut" on sled-2 (asserted below).
  seed: 1,
})
  .create('dark', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'never' })
  .create('cut', { ncpus: 2, memory: '4GiB', start: true })
  .runUntil({ instance: 'dark', runState: 'running' }, '1m')
  .runUntil({ instance: 'cut', runState: 'running' }, '1m')
  .expectInstance('dark', { sled: 'sled-1' })
  .expectInstance('cut', { sled: 'sled-2' })
  // Power off one sled, partition the other; nothing is reported to Nexus.
  .sled('sled-1', 'powerOff')
  .sled('sled-2', 'partition')
  .expectInstance('dark', { runState: 'running' })
  .expectInstance('cut', { runState: 'running' })
  // One watcher pass: both GETs get no answer; MGS tells the two sleds apart.
  .activate('instance_watcher')
  .expectTrace('task=instance_watcher  status={"failed_checks":{"sled_off":1},"incomplete_checks":{"unreachable":1}', { count: 1 })
  .expectVmm({ instance: 'dark', which: 0 }, { state: 'failed', failureReason: 'sled_off', deleted: true })
  .expectInstance('dark', { runState: 'failed' })
  .expectRecord('dark', { state: 'failed', intendedState: 'running', hasActiveVmm: false, updaterLocked: false })
  .expectReservations(0, 'sled-1')
  .expectVmm({ instance: 'cut' }, { state: 'running', failureReason: null })
  .expectInstance('cut', { runState: 'running' })
  .expectRecord('cut', { state: 'vmm', intendedState: 'running', hasActiveVmm: true, updaterLocked: false })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1, 'sled-2')
  // Heal the partition: the instance on sled-2 was running all along, on its first VMM.
  .sled('sled-2', 'heal')
  .advance('1m')
  .expectInstance('cut', { runState: 'running', sled: 'sled-2' })
  .expectVmmCount('cut', 1)
  .expectVmm({ instance: 'cut', which: 0 }, { state: 'running', failureReason: null })
  .expectInstance('dark', { runState: 'failed' })
  .build()
