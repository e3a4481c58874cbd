// One life of Nexus's volatile half (saga executor, update-saga runner, state intake, instance
// operations, background tasks) over what survives a crash. When its executor crashes, by `crash()`
// or by a saga fault, the whole incarnation dies with it; a restart builds the next one.
import type { VirtualClock } from '../sim/kernel/clock.ts'
import type { IdSource, ProjectUuid, SledUuid } from '../sim/kernel/ids.ts'
import type { Trace } from '../sim/kernel/trace.ts'
import type { NexusApiError } from './app/errors.ts'
import { InstanceService } from './app/instance-service.ts'
import { InstanceUpdateRunner } from './app/instance-updates.ts'
import { MgsClient } from './app/mgs-client.ts'
import type { SledAgentClient } from './app/sled-agent-client.ts'
import { VmmIntake } from './app/vmm-intake.ts'
import { abandonedVmmReaper } from './background/abandoned-vmm-reaper.ts'
import { BackgroundDriver, type TaskStatus } from './background/driver.ts'
import { instanceReincarnation, type AutoRestart } from './background/instance-reincarnation.ts'
import { instanceUpdater } from './background/instance-updater.ts'
import { instanceWatcher } from './background/instance-watcher.ts'
import type { BackgroundTaskName } from './background/task-periods.ts'
import type { Datastore } from './db/datastore.ts'
import type { NexusFlags } from './nexus-config.ts'
import { guardedDeps, nexusDownError, type Serving } from './nexus-down.ts'
import { SagaExecutor } from './sagas/executor.ts'
import type { SagaFaults } from './sagas/saga-faults.ts'
import type { SagaRegistry } from './sagas/saga-registry.ts'
import type { NexusSagaServices } from './sagas/saga-services.ts'
import { instanceStartSaga } from './sagas/instance-start.ts'
import { startSagaError } from './sagas/start-instance.ts'

/** What outlives any one incarnation. */
export interface NexusDurable {
  readonly clock: VirtualClock
  readonly trace: Trace
  /** The database, saga log included. */
  readonly db: Datastore
  readonly ids: IdSource
  readonly projectId: ProjectUuid
  readonly flags: NexusFlags
  /** The test's saga faults outlive the Nexus they crash. */
  readonly sagaFaults: SagaFaults
  /** Every saga Nexus knows, so recovery can resume any of them. */
  readonly registry: SagaRegistry<NexusSagaServices>
  readonly periods: Readonly<Record<BackgroundTaskName, number>>
  readonly mgsUrl: string
  /** How Nexus sends requests (to MGS; sled clients come from `sledClient`). */
  readonly fetch: typeof fetch
  sledClient(sledId: SledUuid): SledAgentClient
  /** The SP slot MGS knows a sled by; null when the inventory has no such sled. */
  spSlot(sledId: SledUuid): number | null
}

export class NexusIncarnation implements Serving<InstanceService> {
  /** 1 for the Nexus as built, then one more per restart. */
  readonly number: number
  readonly sagas: SagaExecutor<NexusSagaServices>
  readonly updates: InstanceUpdateRunner
  readonly intake: VmmIntake
  readonly instances: InstanceService
  readonly background: BackgroundDriver
  #death: { readonly reason: string } | null = null

  constructor(durable: NexusDurable, number: number) {
    this.number = number
    const { clock, trace, db, ids, flags } = durable
    const sledClient = (sledId: SledUuid) => durable.sledClient(sledId)
    this.background = new BackgroundDriver(clock, trace)
    // A failed or unstartable update saga is backed up by the instance-updater task.
    this.updates = new InstanceUpdateRunner({
      executor: () => this.sagas,
      trace,
      onBackstop: () => void this.background.activate('instance_updater'),
      // An update that leaves an instance wanting a restart wakes the reincarnation task.
      onReincarnation: () => void this.background.activate('instance_reincarnation'),
    })
    this.intake = new VmmIntake({ db, trace, clock, sledClient, updates: this.updates })
    const services: NexusSagaServices = { db, ids, flags, intake: this.intake, sledClient }
    this.sagas = new SagaExecutor({
      db,
      trace,
      clock,
      ids,
      services,
      faults: durable.sagaFaults,
      registry: durable.registry,
      onCrash: (reason) => this.#die(reason),
    })
    // A dead incarnation's operations refuse work, even through a reference taken while it lived.
    const deps = { db, intake: this.intake, sledClient, projectId: durable.projectId, sagas: this.sagas, ids, trace, flags }
    this.instances = new InstanceService(guardedDeps(deps, () => this.#refuseIfDead('instance service')))
    const mgs = new MgsClient(durable.mgsUrl, clock, durable.fetch)
    const { periods } = durable
    const spSlot = (sledId: SledUuid) => durable.spSlot(sledId)
    this.background.register(instanceWatcher({ db, trace, clock, updates: this.updates, sledClient, mgs, spSlot }), periods.instance_watcher)
    this.background.register(instanceUpdater(db, this.updates), periods.instance_updater)
    // Omicron's task runs the start saga itself: no intent write and no admission check.
    const autoRestart: AutoRestart = async (instance) => {
      const outcome = await this.sagas.run(instanceStartSaga, { instance, reason: 'auto_restart' })
      return outcome.kind === 'succeeded' ? { kind: 'succeeded' } : { kind: 'failed', sagaId: outcome.sagaId, error: startSagaError(outcome) }
    }
    this.background.register(instanceReincarnation(db, () => clock.now(), autoRestart), periods.instance_reincarnation)
    this.background.register(abandonedVmmReaper(db), periods.abandoned_vmm_reaper)
  }

  get service(): InstanceService {
    return this.instances
  }

  /** False once this incarnation has crashed. */
  get up(): boolean {
    return this.#death === null
  }

  refusal(operation: string): NexusApiError {
    return nexusDownError(operation, this.#death === null ? 'not started' : `crashed: ${this.#death.reason}`)
  }

  /** Kills this incarnation: its executor crashes, which takes the rest down (see `#die`). */
  crash(reason: string): void {
    this.sagas.crash(reason)
  }

  /** Runs one background task now; a dead Nexus runs none. */
  activate(task: BackgroundTaskName): Promise<TaskStatus> {
    if (this.#death !== null) return Promise.reject(this.refusal(`activate ${task}`))
    return this.background.activate(task)
  }

  // The executor's crash is the incarnation's: timers stop, activation requests go unheard, and `up`
  // turns false, so the host stops answering and the operations refuse work.
  // Simplification: work already under way (a task's activation, a sled-agent call awaiting its
  // answer) runs to its end, as the executor's in-flight actions do; only sagas stop at the crash.
  #die(reason: string): void {
    if (this.#death !== null) return
    this.#death = { reason }
    this.background.stop()
    this.updates.dispose()
  }

  #refuseIfDead(what: string): void {
    if (this.#death !== null) throw this.refusal(what)
  }
}
