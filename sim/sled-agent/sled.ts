// One simulated sled: its identity and capacity, its power and network state, and its sled-agent
// (the VMM table, served over HTTP through MSW at the sled's own host name). Power, partitions and
// agent restarts are what the fault scenarios pull on.
import type { VirtualClock } from '../kernel/clock.ts'
import type { PropolisUuid, SledUuid } from '../kernel/ids.ts'
import type { Rng } from '../kernel/rng.ts'
import type { Trace } from '../kernel/trace.ts'
import { serveHost } from '../interception.ts'
import type { SimNetwork } from '../network.ts'
import { PropolisServer } from '../propolis/server.ts'
import type { PropolisTiming } from '../propolis/types.ts'
import type { SledVmmState } from './api/index.ts'
import { sledAgentHandlers } from './handlers/index.ts'
import { NexusNotifier, type Propagation } from './nexus-notifier.ts'
import type { PropolisDirectory } from './propolis-directory.ts'
import type { SledAgentTiming } from './timing.ts'
import { VmmRunner } from './vmm-runner.ts'
import { VmmTable } from './vmm-table.ts'
import type { SledVmmPhase } from './vmm.machine.ts'

export const CPU_FAMILIES = ['amd_milan', 'amd_turin', 'amd_turin_v2'] as const
export type CpuFamily = (typeof CPU_FAMILIES)[number]

export interface SledConfig {
  readonly name: string
  readonly hardwareThreads: number
  readonly reservoirGiB: number
  readonly cpuFamily: CpuFamily
}

export interface SimSledDeps {
  readonly id: SledUuid
  readonly config: SledConfig
  /** The sled-agent's host name, unique in the process (e.g. `sled-1.t1.sled.sim`). */
  readonly host: string
  readonly nexusUrl: string
  readonly propagation: Propagation
  readonly network: SimNetwork
  readonly propolisDirectory: PropolisDirectory
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly rng: Rng
  readonly timing: SledAgentTiming
  readonly propolisTiming: Partial<PropolisTiming>
  /** How the sled-agent reaches Nexus; the global `fetch` (which MSW intercepts) by default. */
  readonly fetch?: typeof fetch
}

export type SledChange = 'powered_off' | 'powering_on' | 'booted' | 'partitioned' | 'healed' | 'agent_restarting' | 'agent_restarted' | 'vmm_forgotten'

declare module '../kernel/trace.ts' {
  interface TraceEventMap {
    'sled.changed': { readonly sled: string; readonly change: SledChange; readonly propolis?: string }
    'sled-agent.vmm': {
      readonly sled: string
      readonly propolis: string
      readonly phase: SledVmmPhase
      readonly state: string
      readonly gen: number
      readonly migration_in: string | null
      readonly migration_out: string | null
    }
  }
}

/** A VMM as the sled-agent holds it, for `tb.sled(s).vmms()`. */
export interface SledVmmView {
  readonly propolisId: PropolisUuid
  readonly phase: SledVmmPhase
  readonly state: SledVmmState
}

export class SimSled {
  readonly id: SledUuid
  readonly name: string
  readonly hardwareThreads: number
  readonly reservoirGiB: number
  readonly cpuFamily: CpuFamily
  readonly url: string
  readonly vmms: VmmTable
  readonly #deps: SimSledDeps
  readonly #unserve: () => void
  #power: 'on' | 'off' | 'booting' = 'on'
  #partitioned = false
  #agentUp = true

  constructor(deps: SimSledDeps) {
    this.#deps = deps
    this.id = deps.id
    this.name = deps.config.name
    this.hardwareThreads = deps.config.hardwareThreads
    this.reservoirGiB = deps.config.reservoirGiB
    this.cpuFamily = deps.config.cpuFamily
    this.url = `http://${deps.host}`
    this.vmms = new VmmTable((body, propolisId, initial, onDeregistered) => this.#createRunner(body.instance_id, propolisId, initial, body.propolis_addr, body.migration_id, onDeregistered), () => deps.clock.isoNow())
    this.#unserve = serveHost(deps.network, {
      host: deps.host,
      target: { kind: 'sled-agent', sled: { id: this.id, name: this.name } },
      reachable: () => this.reachable(),
      handlers: sledAgentHandlers(this),
    })
  }

  /** Whether the sled-agent answers: powered on, agent up, not partitioned. */
  reachable(): boolean {
    return this.#power === 'on' && this.#agentUp && !this.#partitioned
  }

  get powerState(): 'on' | 'off' | 'booting' {
    return this.#power
  }

  get partitioned(): boolean {
    return this.#partitioned
  }

  /** A dropshot request id for an error body. */
  requestId(): string {
    return this.#deps.network.requestId()
  }

  /** Power is cut: every VMM dies with its zone, and the agent stops answering. Nothing is reported. */
  powerOff(): void {
    this.#power = 'off'
    this.vmms.forget()
    this.#changed('powered_off')
  }

  /** Power returns; after booting, the agent answers again with an empty VMM table. */
  powerOn(): void {
    if (this.#power !== 'off') return
    this.#power = 'booting'
    this.#changed('powering_on')
    this.#deps.clock.setTimeout(() => {
      if (this.#power !== 'booting') return
      this.#power = 'on'
      this.#changed('booted')
    }, this.#deps.timing.sledBootMs)
  }

  /** Cuts the sled off the network: its VMMs keep running, calls to and from it fail. */
  partition(): void {
    this.#partitioned = true
    this.#changed('partitioned')
  }

  heal(): void {
    this.#partitioned = false
    this.#changed('healed')
  }

  /** The sled-agent restarts; with `forgetVmms` it comes back without its VMMs (their zones are gone too). */
  // Simplification: without `forgetVmms` the runners carry on through the restart; only the agent's
  // HTTP service is away for `agentRestartMs`.
  restartAgent(options: { readonly forgetVmms: boolean }): void {
    this.#agentUp = false
    if (options.forgetVmms) this.vmms.forget()
    this.#changed('agent_restarting')
    this.#deps.clock.setTimeout(() => {
      this.#agentUp = true
      this.#changed('agent_restarted')
    }, this.#deps.timing.agentRestartMs)
  }

  /** The sled-agent loses one VMM behind Nexus's back: its zone is gone and nothing is reported. */
  forgetVmm(propolisId: PropolisUuid): void {
    this.vmms.forget(propolisId)
    this.#deps.trace.record('sled.changed', { sled: this.name, change: 'vmm_forgotten', propolis: propolisId })
  }

  vmmViews(): readonly SledVmmView[] {
    return this.vmms.runners().map((r) => ({ propolisId: r.propolisId, phase: r.phase, state: r.state }))
  }

  dispose(): void {
    this.vmms.forget()
    this.#unserve()
  }

  #changed(change: SledChange): void {
    this.#deps.trace.record('sled.changed', { sled: this.name, change })
  }

  #createRunner(...[instanceId, propolisId, initial, propolisAddr, migrationId, onDeregistered]: CreateRunnerArgs): VmmRunner {
    const deps = this.#deps
    const runner = new VmmRunner({
      propolisId,
      instanceId,
      initial,
      propolisAddr,
      migrationId,
      clock: deps.clock,
      rng: deps.rng.fork(`vmm-${propolisId}`),
      timing: deps.timing,
      notifier: new NexusNotifier({
        sledName: this.name,
        nexusUrl: deps.nexusUrl,
        propagation: deps.propagation,
        clock: deps.clock,
        trace: deps.trace,
        rng: deps.rng.fork(`notify-${propolisId}`),
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      }),
      createPropolis: (addr) => {
        const server = new PropolisServer({ propolisId, addr, clock: deps.clock, trace: deps.trace, network: deps.propolisDirectory, timing: deps.propolisTiming })
        deps.propolisDirectory.listen(addr, server, () => this.reachable())
        return server
      },
      onDeregistered,
    })
    let last = ''
    const report = (snapshot: ReturnType<typeof runner.actor.getSnapshot>): void => {
      const { state } = snapshot.context
      const phase = snapshot.value as SledVmmPhase
      const key = `${phase}/${state.vmm_state.gen}/${state.migration_in?.gen ?? 0}/${state.migration_out?.gen ?? 0}`
      if (key === last) return
      last = key
      deps.trace.record('sled-agent.vmm', {
        sled: this.name,
        propolis: propolisId,
        phase,
        state: state.vmm_state.state,
        gen: state.vmm_state.gen,
        migration_in: state.migration_in === null ? null : `${state.migration_in.state}@${state.migration_in.gen}`,
        migration_out: state.migration_out === null ? null : `${state.migration_out.state}@${state.migration_out.gen}`,
      })
    }
    report(runner.actor.getSnapshot())
    runner.actor.subscribe(report)
    return runner
  }
}

type CreateRunnerArgs = [
  instanceId: VmmRunner['instanceId'],
  propolisId: PropolisUuid,
  initial: SledVmmState,
  propolisAddr: string,
  migrationId: Parameters<VmmTable['register']>[1]['migration_id'],
  onDeregistered: () => void,
]
