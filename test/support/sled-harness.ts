// A small world for sled-level tests: a clock, a trace, a network, N simulated sleds, and a fake
// Nexus internal API that records what the sled-agents tell it (and, for the doorbell, pulls the
// state back). Every call goes through real fetch and MSW.
import { VirtualClock } from '../../sim/kernel/clock.ts'
import { IdSource, type InstanceUuid, type MigrationUuid, type PropolisUuid, typedUuid } from '../../sim/kernel/ids.ts'
import { Rng } from '../../sim/kernel/rng.ts'
import { Trace } from '../../sim/kernel/trace.ts'
import { serveHost } from '../../sim/interception.ts'
import { SimNetwork } from '../../sim/network.ts'
import type { PropolisTiming } from '../../sim/propolis/types.ts'
import { matchRoute, SLED_AGENT_ROUTES, SledVmmStateSchema, type InstanceEnsureBodyInput, type SledVmmState, type VmmStateRequested } from '../../sim/sled-agent/api/index.ts'
import type { Propagation } from '../../sim/sled-agent/nexus-notifier.ts'
import { PropolisDirectory } from '../../sim/sled-agent/propolis-directory.ts'
import { SimSled } from '../../sim/sled-agent/sled.ts'
import { DEFAULT_SLED_AGENT_TIMING, type SledAgentTiming } from '../../sim/sled-agent/timing.ts'
import { referenceAvailable, responseSchema, validate } from './openapi-validate.ts'

let harnessCount = 0

export interface HarnessOptions {
  readonly sleds?: number
  readonly propagation?: Propagation
  readonly seed?: number
  readonly timing?: Partial<SledAgentTiming>
  readonly propolisTiming?: Partial<PropolisTiming>
  /** Lets a test make the fake Nexus fail an upcall or doorbell; return null to accept it. */
  readonly nexusResponds?: (request: Request) => Response | null
  /** Share a clock and trace made beforehand (for a Nexus built before the sleds). */
  readonly clock?: VirtualClock
  readonly trace?: Trace
  /** The Nexus host name (default `nexus.h<N>.sim`). */
  readonly nexusHost?: string
  /** Serve these handlers (the real Nexus internal API) at the Nexus host instead of the fake. */
  readonly nexusHandlers?: (nexusUrl: string) => Parameters<typeof serveHost>[1]['handlers']
  /** Whether the Nexus host answers (false while a real Nexus is crashed); always by default. */
  readonly nexusReachable?: () => boolean
  /** Hosts call their handlers' resolvers directly, as with the testbed's `transport: 'direct'`. */
  readonly directHandlers?: boolean
}

/** What the fake Nexus heard: each accepted upcall body, or the state it pulled after a doorbell. */
export interface Report {
  readonly propolisId: string
  readonly via: 'upcall' | 'doorbell'
  readonly state: SledVmmState
}

export interface ApiResult {
  readonly status: number
  readonly body: unknown
}

export class SledHarness {
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly rng: Rng
  readonly ids: IdSource
  readonly network: SimNetwork
  readonly directory = new PropolisDirectory()
  readonly sleds: SimSled[] = []
  readonly reports: Report[] = []
  readonly nexusUrl: string
  readonly #disposers: (() => void)[] = []
  readonly #sledOf = new Map<string, SimSled>()

  constructor(options: HarnessOptions = {}) {
    harnessCount += 1
    const tag = `h${harnessCount}`
    this.clock = options.clock ?? new VirtualClock()
    this.trace = options.trace ?? new Trace(this.clock)
    this.rng = new Rng(options.seed ?? 1)
    this.ids = new IdSource(this.rng.fork('ids'))
    this.network = new SimNetwork({ clock: this.clock, trace: this.trace, rng: this.rng.fork('network'), directHandlers: options.directHandlers ?? false })
    const nexusHost = options.nexusHost ?? `nexus.${tag}.sim`
    this.nexusUrl = `http://${nexusHost}`
    this.#disposers.push(
      serveHost(this.network, {
        host: nexusHost,
        target: { kind: 'nexus' },
        reachable: options.nexusReachable ?? (() => true),
        handlers: options.nexusHandlers?.(this.nexusUrl) ?? ((r) => this.#nexus(r, options)),
      }),
    )
    for (let i = 0; i < (options.sleds ?? 2); i += 1) {
      const sled = new SimSled({
        id: this.ids.uuid('sled'),
        config: { name: `sled-${i + 1}`, hardwareThreads: 64, reservoirGiB: 256, cpuFamily: 'amd_milan' },
        host: `sled-${i + 1}.${tag}.sled.sim`,
        nexusUrl: this.nexusUrl,
        propagation: options.propagation ?? 'upcall',
        network: this.network,
        propolisDirectory: this.directory,
        clock: this.clock,
        trace: this.trace,
        rng: this.rng.fork(`sled-${i + 1}`),
        timing: { ...DEFAULT_SLED_AGENT_TIMING, ...options.timing },
        propolisTiming: options.propolisTiming ?? {},
      })
      this.sleds.push(sled)
      this.#disposers.push(() => sled.dispose())
    }
  }

  sled(index: number): SimSled {
    const sled = this.sleds[index]
    if (sled === undefined) throw new Error(`no sled ${index}`)
    return sled
  }

  /** Registers a VMM (as Nexus's start or migrate saga would) and returns its ids. */
  async register(
    sled: SimSled,
    options: { state?: 'starting' | 'migrating'; migrationId?: MigrationUuid; instanceId?: InstanceUuid; propolisId?: PropolisUuid } = {},
  ): Promise<{ propolisId: PropolisUuid; instanceId: InstanceUuid; addr: string; result: ApiResult }> {
    const propolisId = options.propolisId ?? this.ids.uuid('propolis')
    const instanceId = options.instanceId ?? this.ids.uuid('instance')
    const addr = `[fd00:1122:3344:101::${(this.sleds.indexOf(sled) + 1).toString(16)}:${this.#sledOf.size.toString(16)}]:12400`
    this.#sledOf.set(propolisId, sled)
    const result = await this.call(sled, 'PUT', `/vmms/${propolisId}`, ensureBody({ instanceId, addr, state: options.state ?? 'starting', now: this.clock.isoNow(), migrationId: options.migrationId ?? null }))
    return { propolisId, instanceId, addr, result }
  }

  putState(sled: SimSled, propolisId: string, state: VmmStateRequested): Promise<ApiResult> {
    return this.call(sled, 'PUT', `/vmms/${propolisId}/state`, { state })
  }

  getState(sled: SimSled, propolisId: string): Promise<ApiResult> {
    return this.call(sled, 'GET', `/vmms/${propolisId}/state`)
  }

  unregister(sled: SimSled, propolisId: string): Promise<ApiResult> {
    return this.call(sled, 'DELETE', `/vmms/${propolisId}`)
  }

  /** A real fetch to the sled-agent; a network error comes back as status 0. */
  async call(sled: SimSled, method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<ApiResult> {
    try {
      const response = await fetch(`${sled.url}${path}`, {
        method,
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        ...init,
      })
      const text = await response.text()
      const result = { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) }
      checkAgainstOpenApi(method, path, result)
      return result
    } catch (error) {
      if (error instanceof OpenApiViolation) throw error
      return { status: 0, body: null }
    }
  }

  /** Advances virtual time until `promise` settles, then returns its value (or throws its error). */
  async settleCall<T>(promise: Promise<T>, maxMs = 3_600_000): Promise<T> {
    const box: { settled: { ok: true; value: T } | { ok: false; error: unknown } | null } = { settled: null }
    void promise.then(
      (value) => (box.settled = { ok: true, value }),
      (error: unknown) => (box.settled = { ok: false, error }),
    )
    await this.clock.settle()
    for (let spent = 0; box.settled === null && spent < maxMs; spent += 100) await this.clock.advance(100)
    const { settled } = box
    if (settled === null) throw new Error('call did not settle')
    if (!settled.ok) throw settled.error
    return settled.value
  }

  /** The VMM states Nexus heard for one VMM, as `state@gen`. */
  reported(propolisId: string): string[] {
    return this.reports.filter((r) => r.propolisId === propolisId).map((r) => `${r.state.vmm_state.state}@${r.state.vmm_state.gen}`)
  }

  dispose(): void {
    for (const dispose of this.#disposers.splice(0).reverse()) dispose()
    this.network.dispose()
  }

  async #nexus(request: Request, options: HarnessOptions): Promise<Response> {
    const injected = options.nexusResponds?.(request) ?? null
    if (injected !== null) return injected
    const url = new URL(request.url)
    const doorbell = /^\/vmms\/([^/]+)\/doorbell$/.exec(url.pathname)
    const upcall = /^\/vmms\/([^/]+)$/.exec(url.pathname)
    if (request.method === 'PUT' && upcall?.[1] !== undefined) {
      this.reports.push({ propolisId: upcall[1], via: 'upcall', state: SledVmmStateSchema.parse(await request.json()) })
      return new Response(null, { status: 204 })
    }
    if (request.method === 'POST' && doorbell?.[1] !== undefined) {
      const propolisId = doorbell[1]
      const sled = this.#sledOf.get(propolisId)
      if (sled === undefined) return new Response(null, { status: 404 })
      const pulled = await this.getState(sled, propolisId)
      if (pulled.status === 200) this.reports.push({ propolisId, via: 'doorbell', state: SledVmmStateSchema.parse(pulled.body) })
      return new Response(null, { status: 204 })
    }
    return new Response(null, { status: 404 })
  }
}

class OpenApiViolation extends Error {
  override readonly name = 'OpenApiViolation'
}

let warnedAboutReference = false

/**
 * Every sled-agent response a harness sees is checked against the real OpenAPI document, so any
 * test that talks to a sled checks the handlers' shapes too. Skipped, visibly, without ../shared.
 */
function checkAgainstOpenApi(method: string, path: string, result: ApiResult): void {
  if (!referenceAvailable('sled-agent')) {
    if (!warnedAboutReference) process.stderr.write('skipped: ../shared/reference/openapi/sled-agent.json is absent; sled-agent responses are not checked against the OpenAPI document\n')
    warnedAboutReference = true
    return
  }
  const route = matchRoute(SLED_AGENT_ROUTES, method, path)
  if (route === null) return
  const schema = responseSchema('sled-agent', route.operation, result.status)
  const problems = schema === null ? [`status ${result.status} is not documented`] : validate('sled-agent', schema, result.body)
  if (problems.length > 0) throw new OpenApiViolation(`${route.operation} ${result.status} does not match the OpenAPI document: ${problems.join('; ')}`)
}

export function ensureBody(o: { instanceId: string; addr: string; state: 'starting' | 'migrating'; now: string; migrationId: string | null }): InstanceEnsureBodyInput {
  return {
    instance_id: o.instanceId,
    vmm_spec: { board: { cpus: 2, memory_mb: 2048, chipset: { type: 'i440_fx', value: { enable_pcie: false } } }, components: {} },
    local_config: {
      hostname: 'db1',
      nics: [],
      external_ips: { v4: null, v6: null },
      firewall_rules: [],
      dhcp_config: { dns_servers: [], host_domain: null, search_domains: [] },
      multicast_groups: [],
      delegated_zvols: [],
      attached_subnets: [],
    },
    vmm_runtime: { state: o.state, gen: 2, time_updated: o.now },
    migration_id: o.migrationId,
    propolis_addr: o.addr,
    metadata: { silo_id: '55555555-5555-4555-8555-555555555555', project_id: '66666666-6666-4666-8666-666666666666' },
  }
}

export const uuidFor = (kind: 'propolis' | 'instance', n: number) => typedUuid(kind, `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`)
