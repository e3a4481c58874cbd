// One simulated propolis-server process: owns its machine's actor (on the testbed's virtual clock)
// and turns the machine's snapshots and emitted events into the promise-based HTTP API, the
// long-poll monitor, the migration link to a peer server, and the trace.
// Mirrors: propolis bin/propolis-server/src/lib/server.rs@372a574.
import { createActor, type Actor, type SnapshotFrom } from 'xstate'
import { assertNever } from '../kernel/assert-never.ts'
import type { VirtualClock } from '../kernel/clock.ts'
import type { MigrationUuid, PropolisUuid } from '../kernel/ids.ts'
import type { Trace } from '../kernel/trace.ts'
import type { PropolisEmitted, RequestOutcome } from './events.ts'
import { propolisMachine, type PropolisMachine } from './machine.ts'
import { dialSource, type ArmedMigrationFault, type MigrationLink, type MigrationPort, type PortOf } from './migration-link.ts'
import { DEFAULT_FAULT_PHASE, type FaultablePhase } from './migration-phases.ts'
import { MonitorWatch, type MonitorView } from './monitor-watch.ts'
import * as reply from './replies.ts'
import { propolisTiming } from './timing.ts'
import './trace-events.ts'
import {
  PROPOLIS_OPERATIONS,
  type MigrationFault,
  type PropolisEnsureInit,
  type PropolisInstanceState,
  type PropolisMonitorResponse,
  type PropolisNetwork,
  type PropolisOperation,
  type PropolisResult,
  type PropolisServerHandle,
  type PropolisStateRequest,
  type PropolisTiming,
} from './types.ts'

export interface PropolisServerOptions {
  readonly propolisId: PropolisUuid
  /** The address the server listens on (what a migration target dials). */
  readonly addr: string
  readonly clock: VirtualClock
  readonly trace: Trace
  /** How a migration target finds its source; consulted again before every migration message. */
  readonly network: PropolisNetwork
  /** Overrides of `DEFAULT_PROPOLIS_TIMING`. */
  readonly timing?: Partial<PropolisTiming>
}

type EnsureResult = PropolisResult<{ readonly migrate: { readonly migration_id: MigrationUuid } | null }>
type Phase = 'noVm' | 'init' | 'active' | 'rundown' | 'rundownComplete' | 'crashed' | 'zoneRemoved'

interface EnsureCall {
  readonly init: PropolisEnsureInit
  readonly settle: (result: EnsureResult) => void
}
interface AnswerWaiter {
  readonly answered: (outcome: RequestOutcome) => void
  readonly lost: () => void
}

export class PropolisServer implements PropolisServerHandle {
  /** The simulated server behind a handle the network returned (a migration peer must be one). */
  static readonly #portOf: PortOf = (handle) => (handle instanceof PropolisServer ? handle.#port : null)
  readonly propolisId: PropolisUuid
  readonly addr: string
  readonly #actor: Actor<PropolisMachine>
  readonly #trace: Trace
  readonly #network: PropolisNetwork
  readonly #port: MigrationPort
  /** Ensures sent to the machine and not yet accepted or rejected (answers come in order). */
  readonly #ensureCalls: EnsureCall[] = []
  /** The ensure that created the current VM, until the VM is Active or failed. */
  #initCall: EnsureCall | null = null
  readonly #answerWaiters: AnswerWaiter[] = []
  readonly #monitor: MonitorWatch
  #link: MigrationLink | null = null
  #migrationFault: ArmedMigrationFault | null = null

  constructor(options: PropolisServerOptions) {
    this.propolisId = options.propolisId
    this.addr = options.addr
    this.#trace = options.trace
    this.#network = options.network
    this.#port = {
      addr: this.addr,
      receive: (event) => this.#send(event),
      takeFault: () => {
        const fault = this.#migrationFault
        this.#migrationFault = null
        return fault
      },
      adopt: (link) => (this.#link = link),
      acceptMigrateOut: (link, faultPhase) => this.#acceptMigrateOut(link, faultPhase),
    }
    this.#monitor = new MonitorWatch(this.addr)
    this.#actor = createActor(propolisMachine, { clock: options.clock, input: { timing: propolisTiming(options.timing) } })
    this.#actor.on('*', (event) => this.#onEmitted(event))
    this.#actor.subscribe((snapshot) => this.#onSnapshot(snapshot))
    this.#actor.start()
  }

  get state(): PropolisInstanceState | null {
    return this.published?.state ?? null
  }

  /** The VM's last publish; null when there is no VM (never ensured, or the process lost it). */
  get published(): PropolisMonitorResponse | null {
    const phase = this.#phase()
    if (phase === 'noVm' || phase === 'crashed' || phase === 'zoneRemoved') return null
    return this.#actor.getSnapshot().context.response
  }

  ensure(init: PropolisEnsureInit): Promise<EnsureResult> {
    const label = init.kind === 'spec' ? 'ensure' : 'ensure migration_target'
    if (!this.#up()) return Promise.resolve(this.#traced(label, reply.failure(reply.connectionError('ensure', this.addr, 'refused')), '201'))
    return new Promise((resolve) => {
      this.#ensureCalls.push({ init, settle: (result) => resolve(this.#traced(label, result, '201')) })
      this.#send({ type: 'ENSURE', init: init.kind === 'spec' ? init : { kind: 'migration_target', migrationId: init.migrationId } })
    })
  }

  putState(request: PropolisStateRequest): Promise<PropolisResult<void>> {
    if (!this.#up()) return Promise.resolve(this.#traced(request, reply.failure(reply.connectionError('put state', this.addr, 'refused')), ''))
    return new Promise((resolve) => {
      this.#answerWaiters.push({
        answered: (outcome) => resolve(this.#traced(request, reply.stateReply(outcome), outcome.kind)),
        lost: () => resolve(this.#traced(request, reply.failure(reply.connectionError('put state', this.addr, 'reset')), '')),
      })
      this.#send({ type: 'PUT_STATE', request })
    })
  }

  monitor(gen: number): Promise<PropolisResult<PropolisMonitorResponse>> {
    return this.#monitor.poll(gen, this.#monitorView(this.#actor.getSnapshot()))
  }

  guestShutdown(): void {
    this.#fault('guest_shutdown', { type: 'GUEST_HALT' })
  }

  guestReboot(): void {
    this.#fault('guest_reboot', { type: 'GUEST_RESET' })
  }

  tripleFault(): void {
    this.#fault('triple_fault', { type: 'TRIPLE_FAULT' })
  }

  crash(): void {
    if (!this.#up()) return
    this.#fault('crash', { type: 'CRASH' })
    this.#failLink('the propolis-server crashed')
  }

  failNextInit(): void {
    this.#fault('fail_next_init', { type: 'FAIL_NEXT_INIT' })
  }

  failNextStart(): void {
    this.#fault('fail_next_start', { type: 'FAIL_NEXT_START' })
  }

  failNextMigration(fault: MigrationFault): void {
    this.#migrationFault = { side: fault.side, phase: fault.phase ?? DEFAULT_FAULT_PHASE }
    this.#fault(`fail_next_migration ${fault.side} ${this.#migrationFault.phase}`, null)
  }

  hang(operations: readonly PropolisOperation[] = PROPOLIS_OPERATIONS): void {
    this.#fault(`hang ${operations.join(',')}`, { type: 'HANG', operations })
  }

  unhang(): void {
    this.#fault('unhang', { type: 'UNHANG' })
  }

  destroy(): void {
    if (this.#phase() === 'zoneRemoved') return
    this.#trace.record('propolis.process', { propolis: this.propolisId, event: 'zone_removed' })
    this.#send({ type: 'DESTROY' })
    this.#failLink('the zone of the propolis-server was removed')
  }

  #phase(snapshot: SnapshotFrom<PropolisMachine> = this.#actor.getSnapshot()): Phase {
    if (snapshot.status !== 'active' || snapshot.matches('zoneRemoved')) return 'zoneRemoved'
    if (snapshot.matches('crashed')) return 'crashed'
    for (const phase of ['noVm', 'init', 'active', 'rundown'] as const) {
      if (snapshot.matches({ alive: phase })) return phase
    }
    return 'rundownComplete'
  }

  #up(): boolean {
    const phase = this.#phase()
    return phase !== 'crashed' && phase !== 'zoneRemoved'
  }

  #send(event: Parameters<Actor<PropolisMachine>['send']>[0]): void {
    // A removed zone's actor is stopped; nothing can reach it any more.
    if (this.#actor.getSnapshot().status === 'active') this.#actor.send(event)
  }

  #fault(fault: string, event: Parameters<Actor<PropolisMachine>['send']>[0] | null): void {
    this.#trace.record('fault.propolis', { propolis: this.propolisId, fault })
    if (event !== null) this.#send(event)
  }

  #traced<T>(request: string, result: PropolisResult<T>, success: string): PropolisResult<T> {
    this.#trace.record('propolis.request', { propolis: this.propolisId, request, outcome: reply.describeResult(result, success) })
    return result
  }

  #onEmitted(event: PropolisEmitted): void {
    switch (event.type) {
      case 'published': {
        const { gen, state, migration } = event.response
        this.#trace.record('propolis.published', {
          propolis: this.propolisId,
          gen,
          state,
          migration_in: migration.migration_in?.state ?? null,
          migration_out: migration.migration_out?.state ?? null,
        })
        this.#link?.check()
        return
      }
      case 'answered':
        this.#answerWaiters.shift()?.answered(event.outcome)
        return
      case 'ensure_accepted': {
        const call = this.#ensureCalls.shift() ?? null
        this.#initCall = call
        if (call?.init.kind === 'migration_target') dialSource(this.#port, { migrationId: call.init.migrationId, sourceAddr: call.init.sourceAddr, network: this.#network, portOf: PropolisServer.#portOf })
        return
      }
      case 'ensure_rejected':
        this.#ensureCalls.shift()?.settle(reply.failure(reply.ALREADY_INITIALIZED))
        return
      case 'init_succeeded': {
        const call = this.#initCall
        this.#initCall = null
        call?.settle(reply.ok({ migrate: call.init.kind === 'spec' ? null : { migration_id: call.init.migrationId } }))
        return
      }
      case 'init_failed':
        this.#initCall?.settle(reply.failure(reply.initFailed(event.message)))
        this.#initCall = null
        return
      case 'handshake_requested': {
        const link = this.#link
        this.#send({ type: link !== null && link.open && link.reachable() ? 'HANDSHAKE_OK' : 'HANDSHAKE_FAIL' })
        return
      }
      case 'migration_started':
        this.#link?.deliver('target', { type: 'PEER_STARTED' })
        return
      case 'migration_ready':
        this.#link?.deliver('source', { type: 'PEER_READY' })
        return
      // After the source's OK the migration is over for both: later failures stay local.
      case 'migration_finished':
        this.#link?.deliver('target', { type: 'PEER_OK' })
        this.#link?.close()
        return
      case 'migration_failed':
        this.#failLink(event.reason)
        return
      case 'restarted':
        this.#trace.record('propolis.process', { propolis: this.propolisId, event: 'restarted' })
        return
      default:
        assertNever(event, 'propolis emitted event')
    }
  }

  #monitorView(snapshot: SnapshotFrom<PropolisMachine>): MonitorView {
    const phase = this.#phase(snapshot)
    const response = snapshot.context.response
    if (phase === 'crashed' || phase === 'zoneRemoved') return { kind: 'down' }
    if (phase === 'noVm' || response === null) return { kind: 'no_vm' }
    return { kind: 'serving', response, closed: phase === 'rundownComplete' }
  }

  /** After each machine step: wakes monitor waiters, and fails every pending call if the process died. */
  #onSnapshot(snapshot: SnapshotFrom<PropolisMachine>): void {
    const view = this.#monitorView(snapshot)
    this.#monitor.update(view)
    if (view.kind !== 'down') return
    const reset = (operation: string) => reply.failure<never>(reply.connectionError(operation, this.addr, 'reset'))
    for (const call of this.#ensureCalls.splice(0)) call.settle(reset('ensure'))
    this.#initCall?.settle(reset('ensure'))
    this.#initCall = null
    for (const waiter of this.#answerWaiters.splice(0)) waiter.lost()
  }

  /** The source's side of the target's websocket: the request queue decides. */
  #acceptMigrateOut(link: MigrationLink, faultPhase: FaultablePhase | null): void {
    if (!this.#up()) {
      this.#traced('MigrateOut', reply.failure(reply.connectionError('migrate', this.addr, 'refused')), '')
      link.fail(`the source at ${this.addr} refused the connection`, 'source')
      return
    }
    this.#answerWaiters.push({
      answered: (outcome) => {
        this.#traced('MigrateOut', reply.stateReply(outcome), outcome.kind)
        if (outcome.kind === 'queued') this.#link = link
        else link.fail(`the source refused to migrate out: ${reply.describeResult(reply.stateReply(outcome), '')}`, 'source')
      },
      lost: () => link.fail('the source propolis-server went away', 'source'),
    })
    this.#send({ type: 'MIGRATE_OUT', migrationId: link.migrationId, faultPhase })
  }

  #failLink(reason: string): void {
    const link = this.#link
    if (link !== null) link.fail(`the ${link.sideOf(this.#port)} failed: ${reason}`, link.sideOf(this.#port))
  }
}
