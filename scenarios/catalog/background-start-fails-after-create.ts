// Create with start: true whose start fails: the create still succeeds, the failure is only logged.
import { scenario } from '../define.ts'

export default scenario({
  name: 'background-start-fails-after-create',
  description:
    'An instance is created with start: true and its start saga (reason auto_start) fails at ENSURE_REGISTERED (an injected action failure). instance_create has already succeeded, and project_create_instance only logs the start error: the create call returns the instance without an error, which then rests stopped with intent running. The unwind is the usual one (VMM saga_unwound, nothing reserved or provisioned), and nothing but a log line says why (seed 003; omicron-behaviour §1.1 item 5, §1.6, §1.7).',
})
  .sagaFault('instance_start', 'ensure-registered', 'fail', 1)
  .create('vm', { ncpus: 2, memory: '4GiB', start: true })
  .expectSagas({ name: 'instance_create', states: ['succeeded'] })
  .expectSagas({ name: 'instance_start', states: ['unwound'], failedNode: 'ensure-registered' })
  .expectTrace('nexus.auto_start_failed', { count: 1 })
  .expectTrace('status=500  message="Internal Server Error"', { count: 1 })
  .expectInstance('vm', { runState: 'stopped', autoRestarted: false })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'running', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'saga_unwound', failureReason: null })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .note('stopped with intent running is not eligible for reincarnation: it stays stopped')
  .advance('10m')
  .expectInstance('vm', { runState: 'stopped' })
  .expectSagas({ name: 'instance_start', states: ['unwound'] })
  .note('a user start works')
  .start('vm')
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectSagas({ name: 'instance_start', states: ['unwound', 'succeeded'] })
  .build()
