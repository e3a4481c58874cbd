// Upcalls that arrive twice, late, or after Nexus has moved on: generation guards make them no-ops.
import { scenario } from '../define.ts'

export default scenario({
  name: 'stale-duplicate-upcall',
  description:
    'Reports that repeat or trail what Nexus knows change nothing, because VMM writes are generation-guarded (omicron-model §5.2): a running upcall refused twice with 503 is retried by the sled-agent and written once, and the watcher\'s re-read of the same generation is ignored. An upcall held up in the network while the sled-agent loses the VMM arrives after the watcher has failed it (no_such_instance, gen + 1) with that same generation and is ignored; no generation goes backwards and no second update saga runs.',
})
  .create('vm', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'never' })
  .fault({ target: 'nexus-internal', operation: 'cpapi_instances_put', times: 2, respond: { status: 503 }, label: 'nexus-busy' })
  .runUntil({ instance: 'vm', runState: 'running' }, '1m')
  .note('the running upcall was refused twice and retried; it landed once')
  .expectTrace('error=503  retry=true', { count: 2 })
  .expectTrace('state=running  gen=5  outcome=recorded', { count: 1 })
  .expectVmm({ instance: 'vm' }, { state: 'running', gen: 5 })
  // The Run request's answer (gen 2) came back after the upcalls had moved the VMM on: ignored.
  .expectTrace('state=starting  gen=2  outcome=ignored', { count: 1 })
  .note('the watcher reads the same state again: a duplicate')
  .activate('instance_watcher')
  .expectTrace('state=running  gen=5  outcome=ignored', { count: 1 })
  .expectVmm({ instance: 'vm' }, { state: 'running', gen: 5 })
  .expectRecord('vm', { state: 'vmm', gen: 3, intendedState: 'running' })
  .note('a late upcall: held up for a minute while the sled-agent forgets the VMM')
  .fault({ target: 'nexus-internal', operation: 'cpapi_instances_put', times: 1, respond: { delay: '60s' }, label: 'slow-upcall' })
  .reboot('vm')
  // The reboot's answer (synthetic rebooting, gen 6) is written; the upcall with gen 7 is on its way.
  .expectVmm({ instance: 'vm' }, { state: 'rebooting', gen: 6 })
  .expectInstance('vm', { runState: 'rebooting' })
  .forgetVmm({ instance: 'vm' })
  .activate('instance_watcher')
  // The watcher's 404 NO_SUCH_INSTANCE makes Nexus fail the VMM itself, at gen 6 + 1.
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'failed', failureReason: 'no_such_instance', gen: 7, deleted: true })
  .expectInstance('vm', { runState: 'failed' })
  .expectRecord('vm', { state: 'failed', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectProvisioning(0, 0)
  .expectReservations(0)
  .expectSagas({ name: 'start-instance-update', states: ['succeeded'] })
  .advance('2m')
  // The late upcall (rebooting, gen 7) lands on a deleted row with the same generation: a no-op.
  .expectTrace('state=rebooting  gen=7  outcome=ignored', { count: 1 })
  .expectVmm({ instance: 'vm', which: 0 }, { state: 'failed', failureReason: 'no_such_instance', gen: 7, deleted: true })
  .expectInstance('vm', { runState: 'failed' })
  .expectRecord('vm', { state: 'failed', gen: 4, hasActiveVmm: false, updaterLocked: false })
  .expectSagas({ name: 'start-instance-update', states: ['succeeded'] })
  .expectProvisioning(0, 0)
  .expectVmmCount('vm', 1)
  .build()
