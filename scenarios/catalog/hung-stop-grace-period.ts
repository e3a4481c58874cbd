// omicron#4004: a Propolis that never finishes stopping, and the sled-agent's stop grace period.
import { scenario } from '../define.ts'

export default scenario({
  name: 'hung-stop-grace-period',
  description:
    'omicron#4004: Propolis hangs while stopping, so the instance sits in stopping and can be neither started (409) nor rebooted (400), and a repeated stop does not restart the clock. Ten minutes after the first stop the sled-agent\'s grace period (omicron#7548) kills the zone and reports the VMM destroyed, not failed, so the instance ends stopped with its resources released and is not auto-restarted.',
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'best_effort' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .expectProvisioning(2, '4GiB')
  .vmm({ instance: 'vm' }, 'hang', { operations: ['stop'] })
  .stop('vm')
  .expectTrace('request=Stop  outcome=queued', { count: 1 })
  .expectInstance('vm', { runState: 'stopping' })
  .expectRecord('vm', { state: 'vmm', intendedState: 'stopped', hasActiveVmm: true })
  .advance('5m')
  .expectInstance('vm', { runState: 'stopping' })
  .expectVmm({ instance: 'vm' }, { state: 'stopping' })
  // No way out for the user (the symptom of #4004).
  .start('vm', { expectError: { status: 409, errorCode: 'Conflict', message: 'instance must finish stopping before it can be started' } })
  .reboot('vm', { expectError: { status: 400, errorCode: 'InvalidRequest', message: 'Forbidden' } })
  .expectTrace('request=Reboot  outcome="403 Instance is preparing to stop"', { count: 1 })
  // Both refused requests still wrote intent running first; a second stop writes it back, and
  // Propolis ignores it (a stop is already queued), so the grace timer keeps its first deadline.
  .expectRecord('vm', { intendedState: 'running' })
  .stop('vm')
  .expectTrace('request=Stop  outcome=ignored', { count: 1 })
  .expectRecord('vm', { intendedState: 'stopped' })
  // 9m55s after the first stop: still stopping, still charged.
  .advance('4m55s')
  .expectInstance('vm', { runState: 'stopping' })
  .expectVmm({ instance: 'vm' }, { state: 'stopping' })
  .expectProvisioning(2, '4GiB')
  .expectReservations(1)
  // The grace period ends at 10m (plus the zone teardown before the final report).
  .runUntil({ instance: 'vm', runState: 'stopped' }, '10s')
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'destroyed', failureReason: null, deleted: true })
  .expectRecord('vm', { state: 'no_vmm', intendedState: 'stopped', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  // Destroyed, not failed: auto-restart has nothing to do, even with best_effort.
  .activate('instance_reincarnation')
  .advance('10m')
  .expectInstance('vm', { runState: 'stopped', autoRestarted: false })
  .expectVmmCount('vm', 1)
  .expectSagas({ name: 'instance_start', states: ['succeeded'] })
  .build()
