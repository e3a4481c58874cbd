// The only file that sets up MSW. One process-wide server intercepts every `fetch`; requests to a
// `*.sim` host go to the SimNetwork of the testbed that registered that host, and anything else is
// an unhandled request, which MSW turns into an error: nothing leaves the process.
import { getResponse, http, type RequestHandler } from 'msw'
import { setupServer } from 'msw/node'
import type { HostEntry, HostTarget, SimNetwork } from './network.ts'

/** Every simulated host name ends in `.sim`. */
const SIM_HOST = /^https?:\/\/[^/]*\.sim(?::\d+)?\//

interface Route {
  readonly network: SimNetwork
  readonly entry: HostEntry
}

const routes = new Map<string, Route>()
const unrouted: string[] = []
let server: ReturnType<typeof setupServer> | null = null

function ensureServer(): void {
  if (server !== null) return
  const created = setupServer(http.all(SIM_HOST, ({ request }) => route(request)))
  created.listen({ onUnhandledRequest: 'error' })
  server = created
}

async function route(request: Request): Promise<Response> {
  const found = routes.get(new URL(request.url).host)
  if (found === undefined) {
    // A .sim host nobody serves: a wiring bug in a test or in the testbed. Fail the fetch loudly.
    const line = `${request.method} ${request.url}`
    unrouted.push(line)
    process.stderr.write(`[testbed] no simulated service serves ${line}\n`)
    return Response.error()
  }
  return found.network.dispatch(request, found.entry)
}

export interface ServeOptions {
  readonly host: string
  readonly target: HostTarget
  readonly reachable: () => boolean
  /** The host's MSW handlers (sim/sled-agent/handlers, nexus/api), or a plain responder for tests. */
  readonly handlers: readonly RequestHandler[] | ((request: Request) => Promise<Response>)
}

/** Serves `host` through `network` until the returned function is called. */
export function serveHost(network: SimNetwork, options: ServeOptions): () => void {
  ensureServer()
  if (routes.has(options.host)) throw new Error(`serve host failed: ${options.host} is already served in this process`)
  const { handlers } = options
  const respond =
    typeof handlers === 'function'
      ? handlers
      : async (request: Request): Promise<Response> =>
          (await getResponse([...handlers], request)) ?? network.errorResponse(404, undefined, 'Not Found')
  const entry: HostEntry = { host: options.host, target: options.target, reachable: options.reachable, respond }
  network.add(entry)
  routes.set(options.host, { network, entry })
  return () => {
    routes.delete(options.host)
    network.remove(options.host)
  }
}

/** Requests to `.sim` hosts that nothing served, in order (each also failed its fetch). */
export function unroutedRequests(): readonly string[] {
  return unrouted.slice()
}
