// The simulated network of one testbed: which host is which simulated service, whether it can be
// reached, which faults apply, and the trace of every exchange. MSW (sim/interception.ts) hands each
// intercepted request to the network of the testbed that owns its host, so two testbeds in one
// process never see each other's traffic.
import { IdSource } from './kernel/ids.ts'
import type { VirtualClock } from './kernel/clock.ts'
import type { Rng } from './kernel/rng.ts'
import { parseDuration } from './kernel/time.ts'
import type { Trace } from './kernel/trace.ts'
import { FaultPlan, type FaultSubject, type FaultTarget } from './faults.ts'
import {
  matchRoute,
  NEXUS_INTERNAL_ROUTES,
  pathHasOtherMethod,
  SLED_AGENT_ROUTES,
} from './sled-agent/api/routes.ts'

/** Names the calling sled on requests a sled-agent makes, so a partition can cut them too. */
export const ORIGIN_HEADER = 'x-testbed-origin'

export interface SledIdentity {
  readonly id: string
  readonly name: string
}

/** What a host is. The Nexus host serves the internal and external APIs; MGS answers for the sleds' SPs. */
export type HostTarget = { readonly kind: 'sled-agent'; readonly sled: SledIdentity } | { readonly kind: 'nexus' } | { readonly kind: 'mgs' }

export interface HostEntry {
  readonly host: string
  readonly target: HostTarget
  /** False while the service cannot be reached (sled off, partitioned, agent restarting). */
  reachable(): boolean
  /** Runs the host's real handlers; called only for requests that match one of its routes. */
  respond(request: Request): Promise<Response>
}

declare module './kernel/trace.ts' {
  interface TraceEventMap {
    'http.request': {
      readonly exchange: number
      readonly from: string
      readonly to: string
      readonly method: string
      readonly path: string
      readonly operation: string | null
    }
    'http.response': { readonly exchange: number; readonly status: number | 'network_error'; readonly cause?: string }
  }
}

export class SimNetwork {
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly faults: FaultPlan
  readonly #ids: IdSource
  readonly #hosts = new Map<string, HostEntry>()
  readonly #sledsByName = new Map<string, HostEntry>()
  readonly #hung = new Set<() => void>()
  #exchange = 0

  /**
   * Whether the hosts on this network call their MSW handlers' resolvers directly instead of through
   * msw's getResponse (the testbed's `transport: 'direct'`); the same handlers answer either way.
   */
  readonly directHandlers: boolean

  constructor(deps: { clock: VirtualClock; trace: Trace; rng: Rng; directHandlers?: boolean }) {
    this.clock = deps.clock
    this.trace = deps.trace
    this.directHandlers = deps.directHandlers ?? false
    this.faults = new FaultPlan(deps.trace)
    this.#ids = new IdSource(deps.rng)
  }

  get hosts(): readonly HostEntry[] {
    return [...this.#hosts.values()]
  }

  add(entry: HostEntry): void {
    if (this.#hosts.has(entry.host)) throw new Error(`add host failed: ${entry.host} is already served`)
    this.#hosts.set(entry.host, entry)
    if (entry.target.kind === 'sled-agent') this.#sledsByName.set(entry.target.sled.name, entry)
  }

  remove(host: string): void {
    const entry = this.#hosts.get(host)
    this.#hosts.delete(host)
    if (entry?.target.kind === 'sled-agent') this.#sledsByName.delete(entry.target.sled.name)
  }

  /** A dropshot request id (UUID v4 from this network's seeded stream). */
  requestId(): string {
    return this.#ids.uuid('request')
  }

  /** Ends every hung exchange with a network error (the testbed is going away). */
  dispose(): void {
    for (const release of this.#hung) release()
    this.#hung.clear()
  }

  /** Delivers one intercepted request to its host, applying reachability and faults, and traces it. */
  async dispatch(request: Request, entry: HostEntry): Promise<Response> {
    const url = new URL(request.url)
    const classified = classify(entry.target, request.method, url.pathname)
    const originName = request.headers.get(ORIGIN_HEADER)
    const exchange = this.#exchange++
    this.trace.record('http.request', {
      exchange,
      from: originName === null ? 'nexus' : `sled-agent:${originName}`,
      to: entry.target.kind === 'sled-agent' ? `sled-agent:${entry.target.sled.name}` : entry.target.kind,
      method: request.method,
      path: url.pathname,
      operation: classified?.operation ?? null,
    })
    const finish = (response: Response, cause?: string): Response => {
      const status = response.type === 'error' ? 'network_error' : response.status
      this.trace.record('http.response', cause === undefined ? { exchange, status } : { exchange, status, cause })
      return response
    }

    const origin = originName === null ? null : (this.#sledsByName.get(originName) ?? null)
    if (!entry.reachable()) return finish(Response.error(), 'destination unreachable')
    if (origin !== null && !origin.reachable()) return finish(Response.error(), 'origin unreachable')
    // The Nexus host also serves the external API, whose handlers answer their own misses.
    if (classified === null && entry.target.kind === 'sled-agent') return finish(this.#routeMiss(url.pathname))

    if (classified !== null && classified.faultTarget !== null) {
      const subject: FaultSubject = {
        target: classified.faultTarget,
        sled: entry.target.kind === 'sled-agent' ? entry.target.sled : (origin?.target.kind === 'sled-agent' ? origin.target.sled : null),
        operation: classified.operation,
        propolisId: classified.params['propolis_id'] ?? null,
      }
      const fault = this.faults.take(subject)
      if (fault !== null) {
        const { respond } = fault
        if (respond === 'network_error') return finish(Response.error(), `fault ${fault.fault}`)
        if (respond === 'hang') {
          await new Promise<void>((resolve) => this.#hung.add(resolve))
          return finish(Response.error(), `fault ${fault.fault} (hung request ended)`)
        }
        if ('status' in respond) {
          return finish(this.errorResponse(respond.status, respond.errorCode, respond.message ?? reasonPhrase(respond.status)), `fault ${fault.fault}`)
        }
        await this.clock.sleep(parseDuration(respond.delay))
      }
    }
    // A host can go away while the request was delayed.
    if (!entry.reachable()) return finish(Response.error(), 'destination unreachable')
    return finish(await entry.respond(request))
  }

  /** A dropshot error response. */
  errorResponse(status: number, errorCode: string | undefined, message: string): Response {
    const body = errorCode === undefined ? { request_id: this.requestId(), message } : { request_id: this.requestId(), error_code: errorCode, message }
    return Response.json(body, { status })
  }

  // Dropshot answers a path it does not serve with 404, and a served path with the wrong method with 405.
  #routeMiss(pathname: string): Response {
    return pathHasOtherMethod(SLED_AGENT_ROUTES, pathname)
      ? this.errorResponse(405, undefined, 'Method Not Allowed')
      : this.errorResponse(404, undefined, 'Not Found')
  }
}

interface Classified {
  readonly operation: string
  readonly params: Readonly<Record<string, string>>
  readonly faultTarget: FaultTarget | null
}

function classify(target: HostTarget, method: string, pathname: string): Classified | null {
  if (target.kind === 'sled-agent') {
    const m = matchRoute(SLED_AGENT_ROUTES, method, pathname)
    return m === null ? null : { ...m, faultTarget: 'sled-agent' }
  }
  if (target.kind === 'mgs') return null
  const internal = matchRoute(NEXUS_INTERNAL_ROUTES, method, pathname)
  return internal === null ? null : { ...internal, faultTarget: 'nexus-internal' }
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  424: 'Failed Dependency',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/** The standard reason phrase dropshot uses as the message of a bare-status error. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request')
}
