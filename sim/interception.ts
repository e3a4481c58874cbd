// The only file that sets up MSW. One process-wide server intercepts every `fetch`; requests to a
// `*.sim` host go to the SimNetwork of the testbed that registered that host, and anything else is
// an unhandled request, which MSW turns into an error: nothing leaves the process. `deliver` is the
// same routing without the interception, and `directResponder` serves a host's MSW handlers without
// msw's getResponse, both for large runs (the testbed's `transport: 'direct'`).
import { getResponse, http, HttpHandler, type RequestHandler } from 'msw'
import { setupServer } from 'msw/node'
import type { HostEntry, HostTarget, SimNetwork } from './network.ts'

/** Marks a request whose body already reads as a teed one (sim/direct-fetch.ts makes them). */
export const TEED_BODY = Symbol.for('omicron-testbed.teed-body')

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
  if (found === undefined) return unroutedResponse(request)
  return found.network.dispatch(request, found.entry)
}

// A .sim host nobody serves: a wiring bug in a test or in the testbed. Fail the fetch loudly.
function unroutedResponse(request: Request): Response {
  const line = `${request.method} ${request.url}`
  unrouted.push(line)
  process.stderr.write(`[testbed] no simulated service serves ${line}\n`)
  return Response.error()
}

/**
 * Hands a request to the network that serves its host, as the MSW handler above does but without
 * interception (`directFetch`, sim/direct-fetch.ts); an unserved host is recorded as unrouted and
 * gets a network error.
 */
export function deliver(request: Request): Promise<Response> {
  const found = routes.get(new URL(request.url).host)
  return found === undefined ? Promise.resolve(unroutedResponse(request)) : found.network.dispatch(request, found.entry)
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
  const notFound = (): Response => network.errorResponse(404, undefined, 'Not Found')
  let respond: HostEntry['respond']
  if (typeof handlers === 'function') respond = handlers
  else if (network.directHandlers) {
    const direct = directResponder(handlers)
    respond = direct === null ? async (request) => (await getResponse([...handlers], request)) ?? notFound() : async (request) => (await direct(request)) ?? notFound()
  } else {
    respond = async (request) => (await getResponse([...handlers], request)) ?? notFound()
  }
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

interface DirectRoute {
  readonly method: string
  readonly origin: string
  readonly pattern: RegExp
  readonly names: readonly string[]
  readonly handler: HttpHandler
}

// The resolver arguments the testbed's handlers read (msw also passes cookies, which none reads).
type ResolverInfo = { readonly request: Request; readonly params: Record<string, string>; readonly cookies: Record<string, string>; readonly requestId: string }

/**
 * The same handlers without msw's `getResponse`, which compiles every handler's path and parses
 * cookies on every request: each handler's path is compiled once, and the first handler whose
 * method and path match gets the request, as with msw (with the same microtask turns: see
 * GETRESPONSE_HOPS). Null when a handler is not a plain `http.<method>(path, resolver)` whose path
 * this matcher understands; the host then keeps msw's `getResponse`.
 */
export function directResponder(handlers: readonly RequestHandler[]): ((request: Request) => Promise<Response | undefined>) | null {
  const table: DirectRoute[] = []
  for (const handler of handlers) {
    if (!(handler instanceof HttpHandler) || internals(handler).options?.once === true) return null
    const { method, path } = handler.info
    if (typeof method !== 'string' || typeof path !== 'string') return null
    const compiled = compilePath(path)
    if (compiled === null) return null
    table.push({ method: method.toUpperCase(), handler, ...compiled })
  }
  return async (request) => {
    const url = new URL(request.url)
    let index = 0
    let match: { route: DirectRoute; params: Record<string, string> } | null = null
    for (const route of table) {
      const params = matchRoutePath(route, request.method, url)
      if (params !== null) {
        match = { route, params }
        break
      }
      index += 1
    }
    // msw clones the request once, before the first handler runs; the handler reads the original,
    // whose body stream is then one branch of a tee (a request from directFetch reads as one).
    if (request.body !== null && !(TEED_BODY in request)) void request.clone()
    if (match === null) {
      await microtaskHops(GETRESPONSE_HOPS.unmatched(table.length))
      return undefined
    }
    await microtaskHops(GETRESPONSE_HOPS.beforeResolver(index))
    const info: ResolverInfo = { request, params: match.params, cookies: {}, requestId: '' }
    const { resolver } = internals(match.route.handler)
    let result: unknown
    try {
      result = await resolver(info)
    } catch (error) {
      await microtaskHops(GETRESPONSE_HOPS.afterThrow)
      throw error
    }
    await microtaskHops(GETRESPONSE_HOPS.afterResolver)
    return result instanceof Response ? result : undefined
  }
}

/** Waits `n` microtask turns: how the direct paths spend the turns msw would. */
export async function microtaskHops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await undefined
}

// msw's types hide a handler's resolver and options, which are plain fields at run time.
function internals(handler: HttpHandler): { readonly resolver: (info: ResolverInfo) => unknown; readonly options?: { readonly once?: boolean } } {
  return handler as unknown as { resolver: (info: ResolverInfo) => unknown; options?: { once?: boolean } }
}

// The microtask turns msw 2's getResponse spends around a resolver: three per handler tried before
// the one that matches, two before the first, and a fixed number once the resolver has answered.
const GETRESPONSE_HOPS = {
  beforeResolver: (index: number): number => 1 + 3 * index,
  unmatched: (handlers: number): number => 3 * handlers,
  afterResolver: 8,
  afterThrow: 7,
}

// msw matches with path-to-regexp: `:name` segments, case-insensitive, an optional trailing slash,
// query strings ignored, parameters URI-decoded. Only paths made of literal and `:name` segments are
// compiled here.
function compilePath(path: string): { origin: string; pattern: RegExp; names: string[] } | null {
  let url: URL
  try {
    url = new URL(path)
  } catch {
    return null
  }
  if (url.search !== '' || url.hash !== '') return null
  const names: string[] = []
  const segments = url.pathname.split('/').map((segment) => {
    const param = /^:([A-Za-z_][A-Za-z0-9_]*)$/.exec(segment)
    if (param?.[1] !== undefined) {
      names.push(param[1])
      return '([^/]+?)'
    }
    return /^[A-Za-z0-9._~-]*$/.test(segment) ? segment.replace(/\./g, '\\.') : null
  })
  if (segments.some((s) => s === null)) return null
  return { origin: url.origin, pattern: new RegExp(`^${segments.join('/').replace(/\/$/, '')}\\/?$`, 'i'), names }
}

function matchRoutePath(route: DirectRoute, method: string, url: URL): Record<string, string> | null {
  if (route.method !== method.toUpperCase() || url.origin !== route.origin) return null
  const m = route.pattern.exec(url.pathname)
  if (m === null) return null
  const params: Record<string, string> = {}
  route.names.forEach((name, i) => {
    params[name] = decodeURIComponent(m[i + 1] ?? '')
  })
  return params
}
