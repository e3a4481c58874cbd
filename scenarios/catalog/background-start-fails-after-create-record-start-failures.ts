// Create with start: true whose start fails, with recordStartFailures on: the view says why.
import { scenario } from '../define.ts'

export default scenario({
  name: 'background-start-fails-after-create-record-start-failures',
  description:
    'background-start-fails-after-create with recordStartFailures on (seed 003, omicron#9185). The create still succeeds and the instance rests stopped, but its view now carries startFailure with start reason auto_start: for the injected failure at ENSURE_REGISTERED the saga log’s text (no status survives there), and for a second instance too big for any sled the 507 placement error a user start would have returned. A later successful start clears the record.',
  config: { nexus: { recordStartFailures: true } },
})
  .sagaFault('instance_start', 'ensure-registered', 'fail', 1)
  .create('vm', { ncpus: 2, memory: '4GiB', start: true })
  .expectSagas({ name: 'instance_start', states: ['unwound'], failedNode: 'ensure-registered' })
  .expectInstance('vm', {
    runState: 'stopped',
    startFailure: { failedNode: 'ensure-registered', startReason: 'auto_start', messageIncludes: 'injected by sagaFaults.failAt (instance_start/ensure-registered)' },
  })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'running', gen: 4, hasActiveVmm: false })
  .create('huge', { ncpus: 65, memory: '4GiB', start: true })
  .expectSagas({ name: 'instance_start', states: ['unwound', 'unwound'], failedNode: 'alloc-server' })
  .expectInstance('huge', {
    runState: 'stopped',
    startFailure: { failedNode: 'alloc-server', startReason: 'auto_start', messageIncludes: 'Insufficient capacity: Failed to place instance: Could not find any valid sled' },
  })
  .expectTrace('reason=auto_start  node=alloc-server  status=507', { count: 1 })
  .expectRecord('huge', { state: 'no_vmm', intendedState: 'running', gen: 2 })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .start('vm')
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectInstance('vm', { runState: 'running', startFailure: null })
  .build()
