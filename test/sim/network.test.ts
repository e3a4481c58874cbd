import { afterEach, describe, expect, it } from 'vitest'
import { unroutedRequests } from '../../sim/interception.ts'
import { SledHarness } from '../support/sled-harness.ts'

const harnesses: SledHarness[] = []
function harness(...args: ConstructorParameters<typeof SledHarness>): SledHarness {
  const h = new SledHarness(...args)
  harnesses.push(h)
  return h
}
afterEach(() => {
  for (const h of harnesses.splice(0)) h.dispose()
})

const faultLines = (h: SledHarness) => h.trace.lines().filter((l) => l.includes('fault.injected'))

describe('the fault plan on sled-agent calls', () => {
  it('fails matching requests with a network error as many times as asked, and marks each in the trace', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    const handle = h.network.faults.inject({ target: 'sled-agent', sled: 'sled-1', operation: 'vmm_get_state', times: 2, respond: 'network_error' })

    const results = [await h.getState(sled, propolisId), await h.getState(sled, propolisId), await h.getState(sled, propolisId)]

    expect(results.map((r) => r.status)).toEqual([0, 0, 200])
    expect(handle.remaining).toBe(0)
    expect(faultLines(h)).toHaveLength(2)
    expect(faultLines(h)[0]).toContain('respond=network_error')
  })

  it('answers with the injected status, error code and message in a dropshot body', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', respond: { status: 503, errorCode: 'INSTANCE_CHANNEL_FULL', message: 'Service Unavailable' } })

    const result = await h.putState(sled, propolisId, { type: 'running' })

    expect(result).toEqual({ status: 503, body: { request_id: expect.any(String), error_code: 'INSTANCE_CHANNEL_FULL', message: 'Service Unavailable' } })
    expect(sled.vmms.get(propolisId)?.phase).toBe('registered')
  })

  it('matches only the sled, operation and propolis id it names', async () => {
    const h = harness()
    const [a, b] = [h.sled(0), h.sled(1)]
    const first = await h.register(a)
    const second = await h.register(a)
    const onB = await h.register(b)
    h.network.faults.inject({ target: 'sled-agent', sled: a.id, propolisId: first.propolisId, respond: { status: 500 } })

    expect((await h.getState(a, first.propolisId)).status).toBe(500)
    expect((await h.getState(a, second.propolisId)).status).toBe(200)
    expect((await h.getState(b, onB.propolisId)).status).toBe(200)
    expect((await h.getState(a, first.propolisId)).body).toMatchObject({ message: 'Internal Server Error' })
  })

  it('delays a request on the virtual clock and then lets it through', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_get_state', times: 1, respond: { delay: '30s' } })

    let answered: number | null = null
    const pending = h.getState(sled, propolisId).then((r) => {
      answered = h.clock.elapsed()
      return r
    })
    await h.clock.advance(29_999)
    const early = answered
    await h.clock.advance(1)

    expect(early).toBeNull()
    expect((await pending).status).toBe(200)
    expect(answered).toBe(30_000)
  })

  it('hangs a request until the network is disposed', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_get_state', respond: 'hang' })

    let settled = false
    const pending = h.getState(sled, propolisId).then((r) => {
      settled = true
      return r
    })
    await h.clock.advance(3_600_000)
    const afterAnHour = settled
    h.network.dispose()

    expect(afterAnHour).toBe(false)
    expect((await pending).status).toBe(0)
  })

  it('stops matching a rule once it is cleared', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    const handle = h.network.faults.inject({ target: 'sled-agent', respond: 'network_error' })

    handle.clear()

    expect((await h.getState(sled, propolisId)).status).toBe(200)
  })

  it('rejects a rule with a non-error status or a bad count', () => {
    const h = harness()

    expect(() => h.network.faults.inject({ target: 'sled-agent', respond: { status: 200 } })).toThrow(/HTTP error status/)
    expect(() => h.network.faults.inject({ target: 'sled-agent', times: 0, respond: 'hang' })).toThrow(/positive integer/)
    expect(() => h.network.faults.inject({ target: 'sled-agent', respond: { delay: 'soon' } })).toThrow(/not a duration/)
  })
})

describe('the fault plan on calls to Nexus', () => {
  it('makes the sled-agent retry a failed upcall on the virtual clock until Nexus takes it', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    h.network.faults.inject({ target: 'nexus-internal', sled: 'sled-1', operation: 'cpapi_instances_put', times: 3, respond: { status: 503 } })

    await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))
    await h.clock.advance(60_000)

    const retries = h.trace.lines().filter((l) => l.includes('sled-agent.notify_failed'))
    expect(retries).toHaveLength(3)
    expect(retries.every((l) => l.includes('retry=true'))).toBe(true)
    expect(h.reported(propolisId)).toEqual(['destroyed@3'])
  })

  it('gives up on an upcall that Nexus rejects with a 4xx', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    h.network.faults.inject({ target: 'nexus-internal', operation: 'cpapi_instances_put', respond: { status: 400 } })

    await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))
    await h.clock.advance(60_000)

    const failures = h.trace.lines().filter((l) => l.includes('sled-agent.notify_failed'))
    expect(failures).toHaveLength(1)
    expect(failures[0]).toContain('retry=false')
    expect(h.reports).toEqual([])
  })
})

describe('sled reachability', () => {
  it('cuts calls to and from a partitioned sled, while its VMMs keep running, until healed', async () => {
    const h = harness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    await h.settleCall(h.putState(sled, propolisId, { type: 'running' }))
    await h.clock.advance(10_000)

    sled.partition()
    const cut = await h.getState(sled, propolisId)
    sled.vmms.get(propolisId)?.propolis?.guestShutdown()
    await h.clock.advance(10_000)
    const heardDuringPartition = h.reported(propolisId).length
    sled.heal()
    await h.clock.advance(300_000)

    expect(cut.status).toBe(0)
    expect(h.reported(propolisId).slice(0, heardDuringPartition)).toEqual(['starting@3', 'starting@4', 'running@5'])
    // The runner was stuck retrying `stopping` meanwhile, so the monitor's long poll skipped Stopped.
    expect(h.reported(propolisId).slice(heardDuringPartition)).toEqual(['stopping@6', 'destroyed@7'])
  })

  it('loses every VMM silently when powered off, and comes back empty after booting', async () => {
    const h = harness({ timing: { sledBootMs: 5_000 } })
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    await h.settleCall(h.putState(sled, propolisId, { type: 'running' }))

    sled.powerOff()
    const off = await h.getState(sled, propolisId)
    sled.powerOn()
    await h.clock.advance(4_999)
    const booting = await h.getState(sled, propolisId)
    await h.clock.advance(1)
    const back = await h.getState(sled, propolisId)

    expect([off.status, booting.status, back.status]).toEqual([0, 0, 404])
    expect(h.reported(propolisId).every((r) => !r.startsWith('failed') && !r.startsWith('destroyed'))).toBe(true)
  })

  it('is away during an agent restart and, told to forget, comes back without its VMMs', async () => {
    const h = harness({ timing: { agentRestartMs: 2_000 } })
    const sled = h.sled(0)
    const kept = await h.register(sled)

    sled.restartAgent({ forgetVmms: false })
    const during = await h.getState(sled, kept.propolisId)
    await h.clock.advance(2_000)
    const afterRestart = await h.getState(sled, kept.propolisId)
    sled.restartAgent({ forgetVmms: true })
    await h.clock.advance(2_000)
    const afterForgetting = await h.getState(sled, kept.propolisId)

    expect([during.status, afterRestart.status, afterForgetting.status]).toEqual([0, 200, 404])
  })

  it('forgets one VMM behind Nexus’s back', async () => {
    const h = harness()
    const sled = h.sled(0)
    const lost = await h.register(sled)
    const kept = await h.register(sled)

    sled.forgetVmm(lost.propolisId)

    expect((await h.getState(sled, lost.propolisId)).status).toBe(404)
    expect((await h.getState(sled, kept.propolisId)).status).toBe(200)
    expect(h.reports).toEqual([])
  })
})

describe('interception', () => {
  it('keeps two testbeds in one process apart', async () => {
    const one = harness({ seed: 1 })
    const two = harness({ seed: 1 })
    const inOne = await one.register(one.sled(0))

    const fromTwo = await two.getState(two.sled(0), inOne.propolisId)

    expect(fromTwo.status).toBe(404)
    expect(two.trace.lines().filter((l) => l.includes('vmm_register'))).toEqual([])
  })

  it('fails a request to a simulated host nobody serves, loudly, and records it', async () => {
    const before = unroutedRequests().length

    await expect(fetch('http://nobody.sim/vmms')).rejects.toThrow()

    expect(unroutedRequests().slice(before)).toEqual(['GET http://nobody.sim/vmms'])
  })

  it('never lets a request leave the process', async () => {
    harness()

    await expect(fetch('http://127.0.0.1:9/')).rejects.toThrow(/onUnhandledRequest|bypass/)
  })
})
