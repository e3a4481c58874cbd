// Figure 2, per-call cost: `vmm_get_state` on a running VMM, measured side by side in one process at
// each layer a call crosses, from the outside in:
//   msw          Nexus's sled-agent client over the global fetch, intercepted by MSW (the default transport)
//   direct       the same client over `directFetch` on a network whose hosts call their handlers'
//                resolvers directly (the testbed's `transport: 'direct'`): no interception, no
//                getResponse, the same handlers, network, faults and trace
//   getResponse  the same MSW handlers invoked without interception: msw's getResponse(handlers,
//                request), as the default transport's hosts serve them, the body read; no network
//   resolvers    the same handlers' resolvers called directly (the direct transport's hosts)
//   plain        a plain function call doing the same work: the sled-agent's VmmTable.getState
// and the ratios between them. Usage: call-cost.ts [calls]
import { SledAgentClient } from '../nexus/app/sled-agent-client.ts'
import { directFetch } from '../sim/direct-fetch.ts'
import type { HostEntry } from '../sim/network.ts'
import { stopwatch } from '../sim/kernel/stopwatch.ts'
import { SledHarness } from '../test/support/sled-harness.ts'
import { emit, numberArg, round } from './figure.ts'

const CALLS = numberArg(0, 5_000)
const ROUNDS = 5

/** A harness with one running VMM on one sled. */
async function runningVmm(directHandlers: boolean) {
  const h = new SledHarness({ sleds: 1, directHandlers })
  const sled = h.sled(0)
  const { propolisId } = await h.register(sled)
  await h.settleCall(h.putState(sled, propolisId, { type: 'running' }))
  await h.clock.advance(5_000)
  const entry: HostEntry | undefined = h.network.hosts.find((e) => e.target.kind === 'sled-agent')
  if (entry === undefined) throw new Error('the sled is not on the network')
  return { h, sled, propolisId, entry, url: `${sled.url}/vmms/${propolisId}/state` }
}

const viaMsw = await runningVmm(false)
const viaDirect = await runningVmm(true)
const mswClient = new SledAgentClient(viaMsw.sled.url, { clock: viaMsw.h.clock })
const directClient = new SledAgentClient(viaDirect.sled.url, { clock: viaDirect.h.clock, fetch: directFetch })

const layers: Record<string, () => Promise<unknown>> = {
  msw: () => mswClient.vmmGetState(viaMsw.propolisId),
  direct: () => directClient.vmmGetState(viaDirect.propolisId),
  getResponse: async () => (await viaMsw.entry.respond(new Request(viaMsw.url))).text(),
  resolvers: async () => (await viaDirect.entry.respond(new Request(viaDirect.url))).text(),
  plain: () => viaMsw.sled.vmms.getState(viaMsw.propolisId),
}

// Rounds interleave the layers, so drift in the machine's load touches each about equally; each
// layer's figure is its best round.
const best: Record<string, number> = {}
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, call] of Object.entries(layers)) {
    const elapsed = stopwatch()
    for (let i = 0; i < CALLS; i += 1) await call()
    const us = (elapsed() * 1000) / CALLS
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, us)
  }
}
viaMsw.h.dispose()
viaDirect.h.dispose()

const us = (name: string): number => best[name] ?? Number.NaN
const ratios = {
  mswOverDirect: us('msw') / us('direct'),
  mswOverGetResponse: us('msw') / us('getResponse'),
  getResponseOverResolvers: us('getResponse') / us('resolvers'),
  getResponseOverPlain: us('getResponse') / us('plain'),
  mswOverPlain: us('msw') / us('plain'),
  directOverPlain: us('direct') / us('plain'),
}
emit(
  `vmm_get_state per call (best of ${ROUNDS} rounds of ${CALLS}): ` +
    Object.keys(layers).map((name) => `${name} ${us(name).toFixed(1)} µs`).join(', ') +
    `\n  ratios: msw/direct x${ratios.mswOverDirect.toFixed(2)}, msw/getResponse x${ratios.mswOverGetResponse.toFixed(2)}, ` +
    `getResponse/resolvers x${ratios.getResponseOverResolvers.toFixed(1)}, getResponse/plain x${ratios.getResponseOverPlain.toFixed(0)}, ` +
    `msw/plain x${ratios.mswOverPlain.toFixed(0)}, direct/plain x${ratios.directOverPlain.toFixed(0)}`,
  {
    calls: CALLS,
    rounds: ROUNDS,
    microseconds: Object.fromEntries(Object.keys(layers).map((name) => [name, round(us(name), 2)])),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v, 2)])),
  },
)
