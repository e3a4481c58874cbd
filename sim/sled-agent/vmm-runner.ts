// Drives one registered VMM: owns its sledVmm actor, its zone (a PropolisServer), the monitor loop
// that long-polls Propolis, and the runner loop that takes one piece of work at a time in the real
// agent's priority order: monitor messages, then termination, then queued requests (a termination
// also preempts an in-flight request). Mirrors: omicron sled-agent/src/instance.rs@b848b6d.
import { createActor, type Actor } from 'xstate'
import type { VirtualClock } from '../kernel/clock.ts'
import type { InstanceUuid, MigrationUuid, PropolisUuid } from '../kernel/ids.ts'
import type { Rng } from '../kernel/rng.ts'
import type { PropolisServerHandle } from '../propolis/types.ts'
import { VMM_REQUEST_QUEUE_DEPTH, type SledAgentTiming } from './timing.ts'
import type { SledVmmState, VmmStateRequested } from './api/index.ts'
import type { NexusNotifier } from './nexus-notifier.ts'
import { monitorPropolis, type MonitorUpdate } from './propolis-monitor.ts'
import { runnerError, runnerErrorFromPropolis, type RunnerReply } from './runner-reply.ts'
import { sledVmmMachine, type SledVmmPhase } from './vmm.machine.ts'

export interface VmmRunnerDeps {
  readonly propolisId: PropolisUuid
  readonly instanceId: InstanceUuid
  readonly initial: SledVmmState
  readonly propolisAddr: string
  readonly migrationId: MigrationUuid | null
  readonly clock: VirtualClock
  readonly rng: Rng
  readonly timing: SledAgentTiming
  readonly notifier: NexusNotifier
  readonly createPropolis: (addr: string) => PropolisServerHandle
  /** Called once the runner has published its final state and left the sled-agent's table. */
  readonly onDeregistered: () => void
}

interface QueuedRequest {
  readonly request: { readonly kind: 'get' } | { readonly kind: 'put'; readonly state: VmmStateRequested }
  readonly reply: (reply: RunnerReply) => void
}

interface MonitorMessage {
  readonly update: MonitorUpdate
  readonly reply: (control: 'continue' | 'break') => void
}

const LIVE_PHASES: readonly SledVmmPhase[] = ['registered', 'ensuring', 'active']

export class VmmRunner {
  readonly propolisId: PropolisUuid
  readonly instanceId: InstanceUuid
  readonly actor: Actor<typeof sledVmmMachine>
  readonly #deps: VmmRunnerDeps
  readonly #requests: QueuedRequest[] = []
  readonly #monitorInbox: MonitorMessage[] = []
  readonly #terminations: ((state: SledVmmState | null) => void)[] = []
  #zone: PropolisServerHandle | null = null
  #wake: (() => void) | null = null
  #preempt: (() => void) | null = null
  #forgotten = false

  constructor(deps: VmmRunnerDeps) {
    this.#deps = deps
    this.propolisId = deps.propolisId
    this.instanceId = deps.instanceId
    this.actor = createActor(sledVmmMachine, {
      clock: deps.clock,
      input: {
        propolisId: deps.propolisId,
        instanceId: deps.instanceId,
        state: deps.initial,
        stopGraceMs: deps.timing.stopGraceMs,
        now: () => deps.clock.isoNow(),
      },
    })
    // The stop grace timer moves the machine on its own; make sure the loop notices.
    this.actor.subscribe(() => this.#wake?.())
    this.actor.start()
    void this.#run()
  }

  get state(): SledVmmState {
    return this.actor.getSnapshot().context.state
  }

  get phase(): SledVmmPhase {
    return this.actor.getSnapshot().value as SledVmmPhase
  }

  /** The Propolis server in this VMM's zone, once the zone exists. */
  get propolis(): PropolisServerHandle | null {
    return this.#zone
  }

  /** `vmm_get_state`. With the doorbell, a lock-protected read; otherwise queued behind in-flight work. */
  getState(): Promise<RunnerReply> {
    if (this.#deps.notifier.propagation === 'doorbell') return Promise.resolve({ kind: 'state', state: this.state })
    return this.#enqueue({ kind: 'get' })
  }

  /** `vmm_put_state`. */
  putState(state: VmmStateRequested): Promise<RunnerReply> {
    return this.#enqueue({ kind: 'put', state })
  }

  /** `vmm_unregister`: forces failed, removes the zone, and answers with that state (Nexus now owns it). */
  unregister(): Promise<SledVmmState | null> {
    return new Promise((resolve) => {
      this.#terminations.push(resolve)
      this.#preempt?.()
      this.#wake?.()
    })
  }

  /** The sled-agent loses this VMM without a word (restart, power loss, `forgetVmm`): nothing is published. */
  forget(): void {
    if (this.#forgotten) return
    this.#forgotten = true
    this.#zone?.destroy()
    this.actor.stop()
    for (const queued of this.#requests.splice(0)) queued.reply({ kind: 'dropped' })
    for (const resolve of this.#terminations.splice(0)) resolve(null)
    for (const message of this.#monitorInbox.splice(0)) message.reply('break')
    this.#preempt?.()
    this.#wake?.()
  }

  #enqueue(request: QueuedRequest['request']): Promise<RunnerReply> {
    if (this.#requests.length >= VMM_REQUEST_QUEUE_DEPTH) {
      return Promise.resolve(runnerError(503, 'INSTANCE_CHANNEL_FULL', 'Service Unavailable'))
    }
    return new Promise((reply) => {
      this.#requests.push({ request, reply })
      this.#wake?.()
    })
  }

  #live(): boolean {
    return !this.#forgotten && LIVE_PHASES.includes(this.phase)
  }

  async #run(): Promise<void> {
    while (this.#live()) {
      const message = this.#monitorInbox.shift()
      if (message !== undefined) {
        message.reply(await this.#handleMonitor(message.update))
        continue
      }
      if (this.#terminations.length > 0) {
        this.actor.send({ type: 'request.terminate' })
        break
      }
      const queued = this.#requests.shift()
      if (queued !== undefined) {
        await this.#handleRequest(queued)
        continue
      }
      await new Promise<void>((resolve) => (this.#wake = resolve))
      this.#wake = null
    }
    if (!this.#forgotten) await this.#exit()
  }

  async #handleRequest(queued: QueuedRequest): Promise<void> {
    const preempted = new Promise<'preempted'>((resolve) => (this.#preempt = () => resolve('preempted')))
    const outcome = await Promise.race([this.#perform(queued.request), preempted])
    this.#preempt = null
    // A dropped request's reply channel closes; the caller sees an internal error.
    queued.reply(outcome === 'preempted' ? (this.#forgotten ? { kind: 'dropped' } : runnerError(500, 'Internal', 'Internal Server Error')) : outcome)
  }

  async #perform(request: QueuedRequest['request']): Promise<RunnerReply> {
    if (request.kind === 'get') return { kind: 'state', state: this.state }
    const requested = request.state
    switch (requested.type) {
      case 'running':
      case 'migration_target': {
        const ensured = await this.#ensure(requested)
        if (ensured !== null || requested.type === 'migration_target') return ensured ?? { kind: 'state', state: this.state }
        return this.#askPropolis('Run')
      }
      case 'stopped':
        if (this.#zone === null) {
          this.actor.send({ type: 'request.stop_without_zone' })
          return { kind: 'state', state: this.state }
        }
        this.actor.send({ type: 'request.stop' })
        return this.#askPropolis('Stop')
      case 'reboot':
        if (this.#zone === null) return runnerError(500, 'Internal', 'Internal Server Error')
        return this.#askPropolis('Reboot')
    }
  }

  // Sets up the zone and creates the VM on first use; re-sends the ensure (and ignores its 409)
  // afterwards. Returns an error reply only when VM creation failed outright.
  async #ensure(requested: Extract<VmmStateRequested, { type: 'running' | 'migration_target' }>): Promise<RunnerReply | null> {
    const init =
      requested.type === 'running' || this.#deps.migrationId === null
        ? ({ kind: 'spec' } as const)
        : ({ kind: 'migration_target', migrationId: this.#deps.migrationId, sourceAddr: requested.value.src_propolis_addr } as const)
    if (this.#zone !== null) {
      await this.#zone.ensure(init)
      return null
    }
    this.actor.send({ type: 'ensure.started' })
    await this.#deps.clock.sleep(this.#deps.timing.zoneSetupMs)
    if (!this.#live()) return runnerError(500, 'Internal', 'Internal Server Error')
    const propolis = this.#deps.createPropolis(this.#deps.propolisAddr)
    const result = await propolis.ensure(init)
    if (!this.#live() || !result.ok) {
      // The zone was never installed: tear it down and fail the VMM.
      propolis.destroy()
      this.actor.send({ type: 'ensure.failed' })
      return runnerError(500, 'Internal', 'Internal Server Error')
    }
    this.#zone = propolis
    this.actor.send({ type: 'zone.installed' })
    void monitorPropolis({
      propolis,
      clock: this.#deps.clock,
      rng: this.#deps.rng,
      zonePresent: () => this.#zone === propolis && !this.#forgotten,
      deliver: (update) => this.#deliverMonitor(update),
    })
    return null
  }

  async #askPropolis(request: 'Run' | 'Stop' | 'Reboot'): Promise<RunnerReply> {
    const zone = this.#zone
    if (zone === null) return runnerError(500, 'Internal', 'Internal Server Error')
    const result = await zone.putState(request)
    if (result.ok) {
      if (request !== 'Run') this.actor.send({ type: 'propolis.accepted', request: request === 'Stop' ? 'stop' : 'reboot' })
      return { kind: 'state', state: this.state }
    }
    const { error } = result
    if (error.kind === 'http' && (error.errorCode === 'NoInstance' || error.errorCode === 'CreateFailed')) {
      // Propolis restarted and lost the VM: fail the VMM, and "succeed" with that failed state.
      this.actor.send({ type: 'propolis.lost_vm' })
      await this.#removeZone()
      return { kind: 'state', state: this.state }
    }
    return runnerErrorFromPropolis(error)
  }

  #deliverMonitor(update: MonitorUpdate): Promise<'continue' | 'break'> {
    if (!this.#live()) return Promise.resolve('break')
    return new Promise((reply) => {
      this.#monitorInbox.push({ update, reply })
      this.#wake?.()
    })
  }

  async #handleMonitor(update: MonitorUpdate): Promise<'continue' | 'break'> {
    switch (update.kind) {
      case 'state':
        this.actor.send({ type: 'propolis.observed', observation: update.observation })
        if (this.phase !== 'active') return 'break'
        await this.#publish()
        return 'continue'
      case 'zone_gone':
        this.actor.send({ type: 'zone.gone' })
        return 'break'
      case 'no_instance':
        this.actor.send({ type: 'propolis.lost_vm' })
        return 'break'
      case 'unexpected_code':
        return 'continue'
    }
  }

  async #publish(): Promise<void> {
    await this.#deps.notifier.publish(this.propolisId, () => this.state, () => this.#forgotten)
  }

  async #removeZone(): Promise<void> {
    const zone = this.#zone
    if (zone === null) return
    this.#zone = null
    zone.destroy()
    await this.#deps.clock.sleep(this.#deps.timing.zoneTeardownMs)
  }

  // Terminal: remove the zone, answer any unregister, publish the final state if the runner still
  // owns it (Nexus must see it before any 404), deregister, then drain what was queued meanwhile.
  async #exit(): Promise<void> {
    await this.#removeZone()
    if (this.#forgotten) return
    this.actor.send({ type: 'zone.removed' })
    for (const resolve of this.#terminations.splice(0)) resolve(this.state)
    if (this.actor.getSnapshot().context.owner === 'runner') await this.#publish()
    if (this.#forgotten) return
    this.actor.send({ type: 'final.published' })
    this.#deps.onDeregistered()
    for (const { request, reply } of this.#requests.splice(0)) {
      reply(request.kind === 'get' ? { kind: 'state', state: this.state } : runnerError(410, 'NO_SUCH_INSTANCE', 'Instance is terminating'))
    }
    for (const resolve of this.#terminations.splice(0)) resolve(this.state)
  }
}
