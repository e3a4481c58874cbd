// `createTestbed`: one simulated rack on one virtual clock (DESIGN.md §3–§4). It wires the network,
// the simulated sleds and MGS, and Nexus, all talking over MSW, and hands out the public API:
// instance operations, records, sled and Propolis controls, faults, time, trace and invariants.
import { VirtualClock } from '../sim/kernel/clock.ts'
import { IdSource } from '../sim/kernel/ids.ts'
import { Rng } from '../sim/kernel/rng.ts'
import { parseDuration, type DurationInput } from '../sim/kernel/time.ts'
import { Trace, type TraceEvent } from '../sim/kernel/trace.ts'
import { directFetch } from '../sim/direct-fetch.ts'
import { serveHost, unroutedRequests } from '../sim/interception.ts'
import { serveMgs } from '../sim/mgs.ts'
import { SimNetwork } from '../sim/network.ts'
import { PropolisDirectory } from '../sim/sled-agent/propolis-directory.ts'
import { SimSled } from '../sim/sled-agent/sled.ts'
import { DEFAULT_SLED_AGENT_TIMING } from '../sim/sled-agent/timing.ts'
import type { FaultHandle, FaultRule } from '../sim/faults.ts'
import { Nexus, type BackgroundTaskName } from '../nexus/nexus.ts'
import type { DbReadView } from '../nexus/db/read-views.ts'
import type { RecordWrite } from '../nexus/db/tables.ts'
import type { SagaFaults } from '../nexus/sagas/saga-faults.ts'
import type { TaskStatus } from '../nexus/background/driver.ts'
import type { NexusFlags } from '../nexus/nexus-config.ts'
import { InvariantChecker } from './invariants/invariant-checker.ts'
import type { InvariantViolation } from './invariants/violation.ts'
import { normaliseConfig, type InvariantLevel, type TestbedConfig } from './testbed-config.ts'
import { resolveSled, sledHandle, vmmHandle, type SledHandle, type SledRef, type VmmHandle } from './testbed-handles.ts'
import { TestbedNexus } from './testbed-nexus.ts'
import { takeHostTag } from './testbed-tag.ts'

export class TestbedTimeoutError extends Error {
  override readonly name = 'TestbedTimeoutError'
}

export class TestbedDisposedError extends Error {
  override readonly name = 'TestbedDisposedError'
}

/** `tb.faults.inject(...)`: `sled` may be a name, an index or an id. */
export type TestbedFaultRule = Omit<FaultRule, 'sled'> & { readonly sled?: SledRef }

// Far enough for anything a single API call waits on (the sled-agent client times out after 60 s).
const CALL_LIMIT_MS = 24 * 3600 * 1000

export class Testbed implements AsyncDisposable {
  readonly seed: number
  readonly flags: NexusFlags
  readonly nexus: TestbedNexus
  /** Read-only records as omdb shows them. */
  readonly db: DbReadView
  readonly faults: { inject(rule: TestbedFaultRule): FaultHandle }
  readonly sagaFaults: SagaFaults
  readonly #clock: VirtualClock
  readonly #trace: Trace
  readonly #sleds: SimSled[]
  readonly #core: Nexus
  readonly #checker: InvariantChecker
  readonly #invariantLevel: InvariantLevel
  readonly #fetch: typeof fetch
  readonly #disposers: (() => void)[] = []
  #disposed = false
  readonly #sagaInstances = new Map<string, string>()
  #driving = false
  readonly #inFlight = new Set<{ done: boolean }>()

  constructor(config: TestbedConfig = {}) {
    const c = normaliseConfig(config)
    const { tag, release } = takeHostTag()
    this.#disposers.push(release)
    this.seed = c.seed
    const clock = new VirtualClock()
    const trace = new Trace(clock, { keep: c.trace })
    const rng = new Rng(c.seed)
    this.#clock = clock
    this.#trace = trace
    // Which instance each saga works on, from its start event (the saga log keeps only params).
    this.#disposers.push(
      trace.subscribe((event) => {
        if (event.kind === 'saga.started' && event.instance !== undefined) this.#sagaInstances.set(event.saga, event.instance)
      }),
    )
    const network = new SimNetwork({ clock, trace, rng: rng.fork('network'), directHandlers: c.transport === 'direct' })
    // The global fetch is looked up at each call: MSW patches it when the first host is served.
    const send: typeof fetch = c.transport === 'direct' ? directFetch : (input, init) => fetch(input, init)
    this.#fetch = send
    const unroutedBefore = unroutedRequests().length
    let checker: InvariantChecker | null = null
    const core = new Nexus({
      clock,
      trace,
      rng: rng.fork('nexus'),
      url: `http://nexus.${tag}.sim`,
      mgsUrl: `http://mgs.${tag}.sim`,
      flags: c.flags,
      periods: c.periods,
      ...(c.invariants === 'off' ? {} : { onWrite: (write: RecordWrite) => checker?.observe(write) }),
      fetch: send,
    })
    this.#core = core
    this.flags = core.flags
    this.#checker = checker = new InvariantChecker({
      clock,
      trace,
      db: core.db,
      // Unrouted requests are counted process-wide; this testbed owns the ones since it was made
      // that name its hosts or no testbed's host at all.
      unroutedRequests: () => unroutedRequests().slice(unroutedBefore).filter((line) => line.includes(`.${tag}.`) || !/\.tb\d+\./.test(line)),
    })
    this.#invariantLevel = c.invariants
    if (c.invariants === 'off') checker.dispose()
    this.#disposers.push(
      serveHost(network, { host: `nexus.${tag}.sim`, target: { kind: 'nexus' }, reachable: () => core.up, handlers: core.handlers() }),
    )
    const directory = new PropolisDirectory()
    const sledIds = new IdSource(rng.fork('sled-ids'))
    this.#sleds = c.sleds.map((spec, spSlot) => {
      const sled = new SimSled({
        id: sledIds.uuid('sled'),
        config: spec,
        host: `${spec.name}.${tag}.sled.sim`,
        nexusUrl: core.url,
        propagation: core.flags.propagation,
        network,
        propolisDirectory: directory,
        clock,
        trace,
        rng: rng.fork(`sled:${spec.name}`),
        timing: { ...DEFAULT_SLED_AGENT_TIMING, ...c.sledAgentTiming },
        propolisTiming: c.propolisTiming,
        fetch: send,
      })
      core.addSled({ id: sled.id, name: sled.name, url: sled.url, spSlot, hardwareThreads: spec.hardwareThreads, reservoirBytes: spec.reservoirGiB * 1024 ** 3, cpuFamily: spec.cpuFamily })
      return sled
    })
    this.#disposers.push(serveMgs(network, `mgs.${tag}.sim`, () => this.#sleds))
    this.#disposers.push(() => {
      // Nexus stops as if it died, so that no saga still in flight takes another step and calls a
      // host that is no longer served (whose tag a later testbed may already hold).
      core.crash('testbed disposed')
      for (const sled of this.#sleds) sled.dispose()
      network.dispose()
    })
    this.nexus = new TestbedNexus(core, this.#sleds, (what, work) => this.#drive(what, work))
    this.db = core.db.readView()
    this.sagaFaults = core.sagaFaults
    const sleds = this.#sleds
    this.faults = {
      inject(rule) {
        const { sled, ...rest } = rule
        return network.faults.inject(sled === undefined ? rest : { ...rest, sled: resolveSled(sleds, sled).name })
      },
    }
  }

  /** A simulated sled by name, index or id. */
  sled(ref: SledRef): SledHandle {
    return sledHandle(resolveSled(this.#sleds, ref))
  }

  /** Every simulated sled, in configuration order. */
  sleds(): SledHandle[] {
    return this.#sleds.map(sledHandle)
  }

  /** The simulated Propolis of a VMM, wherever it runs. */
  vmm(propolisId: string): VmmHandle {
    return vmmHandle(this.#sleds, propolisId)
  }

  /** Moves virtual time forward, firing every timer on the way in order. */
  async advance(duration: DurationInput): Promise<void> {
    this.#live('advance')
    await this.#clock.advance(parseDuration(duration))
    this.#checkStep()
  }

  /** Runs everything due now without moving time. */
  async settle(): Promise<void> {
    this.#live('settle')
    await this.#clock.settle()
    this.#checkStep()
  }

  /** Advances time, timer by timer, until `predicate` holds; rejects with the last trace lines on timeout. */
  async runUntil(predicate: () => boolean, options: { readonly timeout?: DurationInput } = {}): Promise<void> {
    this.#live('runUntil')
    const timeoutMs = parseDuration(options.timeout ?? '10m')
    const deadline = this.#clock.now() + timeoutMs
    await this.#clock.settle()
    while (!predicate()) {
      const next = this.#clock.nextDue()
      if (next === undefined || next > deadline) {
        await this.#clock.advanceTo(deadline)
        if (predicate()) break
        this.#checkStep()
        const tail = this.#trace.tail(20).join('\n')
        throw new TestbedTimeoutError(`runUntil failed: the predicate did not hold within ${options.timeout ?? '10m'} of virtual time; last trace lines:\n${tail}`)
      }
      await this.#clock.advanceTo(next)
    }
    this.#checkStep()
  }

  /** Runs one background task now and returns its status. */
  activate(task: BackgroundTaskName): Promise<TaskStatus> {
    return this.#drive(`activate ${task}`, () => this.#core.activate(task))
  }

  /**
   * A real fetch to Nexus's API (a path such as `/v1/instances?project=default`), run on virtual
   * time until the response arrives.
   */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return this.#drive(`fetch ${init.method ?? 'GET'} ${path}`, () => this.#fetch(new URL(path, this.#core.url), init))
  }

  /** Virtual time as an ISO string. */
  now(): string {
    return this.#clock.isoNow()
  }

  /** Virtual ms since the testbed started. */
  elapsed(): number {
    return this.#clock.elapsed()
  }

  /** The trace so far. */
  trace(): readonly TraceEvent[] {
    return this.#trace.events()
  }

  /** How many events of each kind the trace has recorded (all there is with `trace: 'counts'`). */
  traceCounts(): Record<string, number> {
    return this.#trace.counts()
  }

  /** The trace as timeline lines, JSONL, and its SHA-256 (equal hashes: byte-identical traces). */
  traceLines(): string[] {
    return this.#trace.lines()
  }

  traceJsonl(): string {
    return this.#trace.toJsonl()
  }

  traceHash(): string {
    return this.#trace.hash()
  }

  /** Writes a free-text note into the trace, for orientation in a timeline. */
  note(text: string): void {
    this.#trace.record('note', { text })
  }

  /** The invariant violations found so far (empty when all hold). */
  invariants(): InvariantViolation[] {
    return this.#checker.violations()
  }

  /** The id of the instance a saga works on (null for one that names none, or an unknown saga). */
  sagaInstance(sagaId: string): string | null {
    return this.#sagaInstances.get(sagaId) ?? null
  }

  /** Human names of the ids this testbed made: instance id → name (deleted ones too), sled id → name. */
  names(): Record<string, string> {
    const names: Record<string, string> = {}
    for (const instance of this.#core.db.instanceList({ includeDeleted: true })) names[instance.id] = instance.name
    for (const sled of this.#sleds) names[sled.id] = sled.name
    return names
  }

  /** Virtual time zero, in Unix epoch ms. */
  get epochMs(): number {
    return this.#clock.epoch
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    for (const dispose of this.#disposers.splice(0).reverse()) dispose()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose()
  }

  // Runs `work` on virtual time: lets it settle, then moves to each next timer until it has finished.
  // Calls made while another is being driven (several operations at once, for races) join it: the
  // one driver keeps going until every call in flight has finished.
  async #drive<T>(what: string, work: () => Promise<T>): Promise<T> {
    this.#live(what)
    const promise = work()
    const pending = { done: false }
    this.#inFlight.add(pending)
    const finish = () => {
      pending.done = true
      this.#inFlight.delete(pending)
    }
    promise.then(finish, finish)
    if (this.#driving) return promise
    this.#driving = true
    try {
      const limit = this.#clock.now() + CALL_LIMIT_MS
      await this.#clock.settle()
      while (this.#inFlight.size > 0) {
        const next = this.#clock.nextDue()
        if (next === undefined || next > limit) {
          throw new TestbedTimeoutError(`${what} failed: it never finished (nothing left to wait for); last trace lines:\n${this.#trace.tail(20).join('\n')}`)
        }
        await this.#clock.advanceTo(next)
      }
    } finally {
      this.#driving = false
    }
    try {
      return await promise
    } finally {
      this.#checkStep()
    }
  }

  // The global invariant checks at a step boundary, when the testbed checks them (`invariants: 'full'`).
  #checkStep(): void {
    if (this.#invariantLevel === 'full') this.#checker.checkQuiescent()
  }

  #live(what: string): void {
    if (this.#disposed) throw new TestbedDisposedError(`${what} failed: the testbed was disposed`)
  }
}

/** Builds a testbed (DESIGN.md §4); defaults: seed 1, two sleds of 64 threads and 256 GiB, shipping flags. */
export async function createTestbed(config: TestbedConfig = {}): Promise<Testbed> {
  const tb = new Testbed(config)
  await tb.settle()
  return tb
}
