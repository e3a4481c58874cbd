// The README's examples, run as written (so that the README stays true).
import { describe, expect, it } from 'vitest'
import { createTestbed, NexusApiError, runScenario, scenario } from '../scenarios/index.ts'

describe('the README', () => {
  it('public API example runs as described', async () => {
    await using tb = await createTestbed({
      seed: 42,
      sleds: 3,
      nexus: { propagation: 'doorbell', recordStartFailures: true, periods: { instanceWatcher: '30s' } },
      propolis: { bootTime: '2s', stopTime: '1s' },
    })
    const db1 = await tb.nexus.instanceCreate({ name: 'db1', ncpus: 2, memory: 4 * 1024 ** 3, start: true })
    expect(db1.runState).toBe('starting')
    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'running', { timeout: '1m' })

    const vmm = tb.db.instance('db1')?.activePropolisId ?? ''
    tb.sled(tb.db.vmm(vmm)?.sledId ?? '').forgetVmm(vmm)
    await tb.activate('instance_watcher')
    expect(tb.db.vmm(vmm)).toMatchObject({ state: 'failed', failureReason: 'no_such_instance' })

    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'running', { timeout: '1m' })
    tb.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500 } })
    const failed = await tb.nexus.instanceReboot('db1').catch((e: NexusApiError) => [e.statusCode, e.message])
    expect(failed).toEqual([500, 'Internal Server Error'])
    expect(tb.nexus.instanceView('db1').runState).toBe('running')

    const response = await tb.fetch('/v1/instances/db1?project=default')
    expect(response.status).toBe(200)
    expect(tb.invariants()).toEqual([])
    expect(tb.traceLines().some((line) => line.includes('propolis.published'))).toBe(true)
  })

  it('scenario example passes', async () => {
    const lostVmm = scenario({ name: 'lost-vmm', description: 'The sled forgets a VMM; the watcher finds it.' })
      .create('db1', { ncpus: 2, memory: '4GiB', start: true, autoRestartPolicy: 'never' })
      .runUntil({ instance: 'db1', runState: 'running' }, '1m')
      .forgetVmm({ instance: 'db1' })
      .activate('instance_watcher')
      .expectVmm({ instance: 'db1', which: 0 }, { state: 'failed', failureReason: 'no_such_instance' })
      .expectInstance('db1', { runState: 'failed' })
      .stop('db1')
      .expectRecord('db1', { state: 'no_vmm', intendedState: 'stopped' })
      .build()
    const report = await runScenario(lostVmm)
    expect(report.failures).toEqual([])
  })
})
