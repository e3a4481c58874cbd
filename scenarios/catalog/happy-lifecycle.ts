// The happy path: create with start, run, reboot, stop, delete, and the records Omicron leaves.
import { scenario } from '../define.ts'

export default scenario({
  name: 'happy-lifecycle',
  description:
    'An instance is created with start: true, boots, is rebooted, stopped and deleted. Each step leaves the run state, records, sagas, provisioning and reservations Omicron would: nothing is left charged or reserved at the end.',
})
  .create('web', { ncpus: 2, memory: '4GiB', start: true })
  .expectInstance('web', { runState: 'starting' })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .expectRecord('web', { state: 'vmm', intendedState: 'running', hasActiveVmm: true, updaterLocked: false })
  .expectVmm({ instance: 'web' }, { state: 'running' })
  .reboot('web')
  .expectInstance('web', { runState: 'rebooting' })
  .runUntil({ instance: 'web', runState: 'running' }, '1m')
  .stop('web')
  .expectInstance('web', { runState: 'stopping' })
  .runUntil({ instance: 'web', runState: 'stopped' }, '1m')
  .expectRecord('web', { state: 'no_vmm', intendedState: 'stopped', hasActiveVmm: false })
  .expectVmm({ instance: 'web', which: 0 }, { state: 'destroyed', deleted: true })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .delete('web')
  .expectInstance('web', { gone: true })
  .expectSagas({ states: ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'] })
  .expectSagas({ instance: 'web', name: 'instance_start', states: ['succeeded'] })
  .build()
