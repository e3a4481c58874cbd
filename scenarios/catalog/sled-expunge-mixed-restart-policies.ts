// Operator expunge of a sled holding a best_effort and a never instance: both fail as sled_expunged
// without a sled-agent call; only the best_effort one comes back, on the other sled.
import { scenario } from '../define.ts'

export default scenario({
  name: 'sled-expunge-mixed-restart-policies',
  description:
    'Two running instances share sled-1, one with auto-restart policy best_effort and one with never. The operator expunges sled-1: the watcher fails both VMMs as sled_expunged without asking the sled-agent, both instances go failed and release their resources, and reincarnation restarts only the best_effort one, on sled-2 (test_instance_failed_when_on_expunged_sled).',
  // Seed 8 places both instances on sled-1 (asserted below).
  seed: 8,
})
  .create('keep', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .create('drop', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'never' })
  .runUntil({ instance: 'keep', runState: 'running' }, '1m')
  .runUntil({ instance: 'drop', runState: 'running' }, '1m')
  .expectInstance('keep', { sled: 'sled-1', autoRestartEnabled: true })
  .expectInstance('drop', { sled: 'sled-1', autoRestartEnabled: false })
  .expectProvisioning(4, '8GiB')
  .expectReservations(2, 'sled-1')
  // One watcher pass while all is well: it asks sled-1's agent about both VMMs.
  .advance('30s')
  .expectTrace('to=sled-agent:sled-1  method=GET', { count: 2 })
  // Expunge: the watcher runs at once and synthesizes the failures; the update sagas free everything.
  .expungeSled('sled-1')
  .expectVmm({ instance: 'keep', which: 0 }, { state: 'failed', failureReason: 'sled_expunged', deleted: true })
  .expectVmm({ instance: 'drop', which: 0 }, { state: 'failed', failureReason: 'sled_expunged', deleted: true })
  .expectTrace('task=instance_watcher  status={"failed_checks":{"sled_expunged":2}', { count: 1 })
  .expectTrace('to=sled-agent:sled-1  method=GET', { count: 2 })
  .expectInstance('drop', { runState: 'failed' })
  .expectRecord('drop', { state: 'failed', intendedState: 'running', hasActiveVmm: false, updaterLocked: false })
  .expectReservations(0, 'sled-1')
  // Reincarnation brings back the best_effort instance on the only sled left.
  .runUntil({ instance: 'keep', runState: 'running' }, '2m')
  .expectInstance('keep', { sled: 'sled-2', autoRestarted: true })
  .expectVmmCount('keep', 2)
  .expectRecord('keep', { state: 'vmm', intendedState: 'running', hasActiveVmm: true, updaterLocked: false })
  // The never instance stays failed however long we wait.
  .advance('10m')
  .expectInstance('drop', { runState: 'failed', autoRestarted: false })
  .expectVmmCount('drop', 1)
  .expectProvisioning(2, '4GiB')
  .expectReservations(1, 'sled-2')
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded', 'succeeded'] })
  // Ten minutes of watcher passes, and none ever asked the expunged sled's agent anything.
  .expectTrace('to=sled-agent:sled-1  method=GET', { count: 2 })
  .expectTrace('to=sled-agent:sled-2  method=GET', { atLeast: 10 })
  .build()
