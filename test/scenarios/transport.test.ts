// The direct transport (`createTestbed({ transport: 'direct' })`): the same handlers, network, faults
// and trace as MSW's interception, so every scenario traces the same bytes under both; and the
// microtask turns each request takes match MSW's, which is what keeps concurrent work in the same
// order (if an msw upgrade changes its turns, the second test names the request that moved).
import { describe, expect, it } from 'vitest'
import { CATALOGUE } from '../../scenarios/catalog/index.ts'
import { runScenario, runScenarioOn } from '../../scenarios/run.ts'
import { createTestbed } from '../../scenarios/testbed.ts'
import { directFetch } from '../../sim/direct-fetch.ts'
import { unroutedRequests } from '../../sim/interception.ts'
import { SledHarness } from '../support/sled-harness.ts'

describe('the direct transport', () => {
  it.each(CATALOGUE.map((s) => [s.name, s] as const))('traces %s byte for byte as MSW does', async (_name, scenario) => {
    const viaMsw = await runScenario(scenario)
    const tb = await createTestbed({ ...scenario.config, seed: scenario.seed, transport: 'direct' })
    try {
      const direct = await runScenarioOn(tb, scenario)

      expect(direct.passed).toBe(viaMsw.passed)
      expect(direct.trace.length).toBe(viaMsw.trace.length)
      expect(direct.traceHash).toBe(viaMsw.traceHash)
    } finally {
      tb.dispose()
    }
  })

  it('answers every kind of request on the microtask turn MSW answers it', async () => {
    const msw = await probeWorld(false)
    const direct = await probeWorld(true)
    const mswFetch: typeof fetch = (input, init) => fetch(input, init)
    try {
      for (const probe of PROBES) {
        expect(`${probe.name}: ${await direct.measure(directFetch, probe)}`).toBe(`${probe.name}: ${await msw.measure(mswFetch, probe)}`)
      }
    } finally {
      msw.h.dispose()
      direct.h.dispose()
    }
  })

  it('refuses a host that is not simulated and counts it as unrouted: nothing leaves the process', async () => {
    const before = unroutedRequests().length

    await expect(directFetch('https://example.com/v1/instances')).rejects.toThrow(TypeError)
    expect(unroutedRequests().slice(before)).toEqual(['GET https://example.com/v1/instances'])
  })

  it('rejects an aborted request on the turn MSW does, with the signal’s reason', async () => {
    const results: string[] = []
    for (const [directHandlers, send] of [
      [false, ((input, init) => fetch(input, init)) as typeof fetch],
      [true, directFetch],
    ] as const) {
      const world = await probeWorld(directHandlers)
      world.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_get_state', respond: 'hang', times: 1 })
      const abort = new AbortController()
      let outcome = ''
      const request = send(`${world.sled.url}/vmms/${world.propolisId}/state`, { signal: abort.signal }).then(
        () => (outcome = 'answered'),
        (error: unknown) => (outcome = `${error instanceof Error ? error.name : String(error)} at turn ${world.counter.turn}`),
      )
      await new Promise<void>((resolve) => queueMicrotask(resolve))
      world.counter.start()
      abort.abort()
      await request
      world.counter.stop()
      world.h.dispose()
      results.push(outcome)
    }

    expect(results[1]).toBe(results[0])
    expect(results[0]).toMatch(/^AbortError at turn \d+$/)
  })
})

interface Probe {
  readonly name: string
  readonly path: string
  readonly init?: RequestInit
  /** Cut the sled off first (a network error). */
  readonly partitioned?: boolean
}

const json = { 'content-type': 'application/json' }
const PROBES: readonly Probe[] = [
  { name: 'vmm_get_state 200', path: '/vmms/{id}/state' },
  { name: 'vmm_get_state 404', path: '/vmms/00000000-0000-4000-8000-000000000000/state' },
  { name: 'vmm_put_state 200 (a body both ways)', path: '/vmms/{id}/state', init: { method: 'PUT', headers: json, body: JSON.stringify({ state: { type: 'reboot' } }) } },
  { name: 'vmm_put_state 400 (a bad body)', path: '/vmms/{id}/state', init: { method: 'PUT', headers: json, body: '{}' } },
  { name: 'a path no route serves', path: '/nothing/here' },
  { name: 'a partitioned sled (network error)', path: '/vmms/{id}/state', partitioned: true },
]

/** Counts microtask turns: a chain that requeues itself once per turn while started. */
class TurnCounter {
  turn = 0
  #running = false

  start(): void {
    this.turn = 0
    this.#running = true
    const spin = (): void => {
      this.turn += 1
      if (this.#running) queueMicrotask(spin)
    }
    queueMicrotask(spin)
  }

  stop(): void {
    this.#running = false
  }
}

async function probeWorld(directHandlers: boolean) {
  const h = new SledHarness({ sleds: 1, directHandlers })
  const sled = h.sled(0)
  const { propolisId } = await h.register(sled)
  await h.settleCall(h.putState(sled, propolisId, { type: 'running' }))
  await h.clock.advance(5_000)
  const counter = new TurnCounter()
  const dispatch = h.network.dispatch.bind(h.network)
  const seen: number[] = []
  h.network.dispatch = async (request, entry) => {
    seen.push(counter.turn)
    const response = await dispatch(request, entry)
    seen.push(counter.turn)
    return response
  }
  // The turns at which the network took the request and answered it, the caller got the
  // response, and its body had been read (or the fetch failed).
  const measure = async (send: typeof fetch, probe: Probe): Promise<string> => {
    if (probe.partitioned === true) sled.partition()
    seen.length = 0
    const marks: string[] = []
    counter.start()
    try {
      const response = await send(`${sled.url}${probe.path.replace('{id}', propolisId)}`, probe.init)
      marks.push(`status ${response.status} at ${counter.turn}`)
      await response.text()
      marks.push(`body read at ${counter.turn}`)
    } catch (error) {
      marks.push(`${error instanceof Error ? error.message : String(error)} at ${counter.turn}`)
    }
    counter.stop()
    await h.clock.settle()
    if (probe.partitioned === true) sled.heal()
    return `network at ${seen.join(', ')}; ${marks.join('; ')}`
  }
  return { h, sled, propolisId, counter, measure }
}
