// A Management Gateway Service for the simulated rack: it answers one question, a sled SP's power
// state (`GET /sp/sled/{slot}/power-state` -> "A0" or "A2"), which the instance watcher asks when a
// sled-agent cannot be reached. The slot is the sled's index. Mirrors: omicron gateway API
// (`sp_power_state_get`)@b848b6d.
// Simplification: only the power-state endpoint exists; a booting sled is already A0.
import { serveHost } from './interception.ts'
import type { SimNetwork } from './network.ts'
import type { SimSled } from './sled-agent/sled.ts'

export function serveMgs(network: SimNetwork, host: string, sleds: () => readonly SimSled[]): () => void {
  return serveHost(network, {
    host,
    target: { kind: 'mgs' },
    reachable: () => true,
    handlers: async (request) => {
      const match = /^\/sp\/sled\/(\d+)\/power-state$/.exec(new URL(request.url).pathname)
      const sled = match?.[1] === undefined || request.method !== 'GET' ? undefined : sleds()[Number(match[1])]
      if (sled === undefined) return network.errorResponse(404, undefined, 'Not Found')
      return Response.json(sled.powerState === 'off' ? 'A2' : 'A0')
    },
  })
}
