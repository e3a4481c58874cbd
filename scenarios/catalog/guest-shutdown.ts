// The guest halts itself: the instance stops and Omicron records that the guest, not the user, stopped it.
import { scenario } from '../define.ts'

export default scenario({
  name: 'guest-shutdown',
  description:
    'The guest shuts itself down: the sled-agent reports the VMM destroyed and the update saga leaves the instance stopped (no_vmm, not failed) with its resources released and its intended state rewritten from running to guest_shutdown, so auto-restart leaves it alone (omicron-behaviour §2.3). A user start afterwards works and sets the intent back to running.',
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectRecord('vm', { state: 'vmm', intendedState: 'running', gen: 3 })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .vmm({ instance: 'vm' }, 'guestShutdown')
  // The guest's halt goes Stopping, Stopped (shown as stopping), then Destroyed after rundown.
  .runUntil({ vmm: { instance: 'vm', which: 0 }, state: 'stopping' }, '10s')
  .expectInstance('vm', { runState: 'stopping' })
  .expectRecord('vm', { intendedState: 'running' })
  .runUntil({ instance: 'vm', runState: 'stopped' }, '1m')
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'destroyed', failureReason: null, gen: 8, deleted: true })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'guest_shutdown', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectTrace('intent=guest_shutdown', { count: 1 })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .expectSagas({ name: 'instance-update', states: ['succeeded'] })
  // Not failed and not intended to run: reincarnation does not touch it.
  .activate('instance_reincarnation')
  .advance('10m')
  .expectInstance('vm', { runState: 'stopped', autoRestarted: false })
  .expectVmmCount('vm', 1)
  .start('vm')
  .expectRecord('vm', { intendedState: 'running' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectProvisioning(2, '4GiB')
  .expectSagas({ name: 'instance_start', states: ['succeeded', 'succeeded'] })
  .build()
