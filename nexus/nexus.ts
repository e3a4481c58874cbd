// Nexus: what survives a crash (datastore and saga log, ids, sled inventory, saga registry) plus the
// live `NexusIncarnation` (executor, intake, tasks, operations), crash/restart, operator expunge,
// and the MSW handlers of its internal and external APIs. It reaches sleds only over HTTP.
import { assertNever } from '../sim/kernel/assert-never.ts'
import type { VirtualClock } from '../sim/kernel/clock.ts'
import { IdSource, type ProjectUuid, type SledUuid } from '../sim/kernel/ids.ts'
import type { Rng } from '../sim/kernel/rng.ts'
import type { Trace } from '../sim/kernel/trace.ts'
import { instanceHandlers } from './api/instance-handlers.ts'
import { nexusInternalHandlers, type VmmStateIntake } from './api/internal-handlers.ts'
import { internalError, objectNotFound } from './app/errors.ts'
import type { InstanceService } from './app/instance-service.ts'
import type { InstanceUpdateRunner } from './app/instance-updates.ts'
import { globalFetch, SledAgentClient } from './app/sled-agent-client.ts'
import type { VmmIntake } from './app/vmm-intake.ts'
import type { BackgroundDriver, TaskStatus } from './background/driver.ts'
import { DEFAULT_PERIODS, type BackgroundTaskName } from './background/task-periods.ts'
import { Datastore } from './db/datastore.ts'
import type { SledCpuFamily, SledRecord } from './db/records.ts'
import { traceRecordWrite } from './db/record-trace.ts'
import type { WriteListener } from './db/tables.ts'
import { SHIPPING_FLAGS, type NexusFlags } from './nexus-config.ts'
import { liveFront } from './nexus-down.ts'
import { NexusIncarnation, type NexusDurable } from './nexus-incarnation.ts'
import type { RecoveredSaga, SagaExecutor } from './sagas/executor.ts'
import { instanceCreateSaga } from './sagas/instance-create.ts'
import { instanceDeleteSaga } from './sagas/instance-delete.ts'
import { instanceMigrateSaga } from './sagas/instance-migrate.ts'
import { instanceStartSaga } from './sagas/instance-start.ts'
import { startInstanceUpdateSaga } from './sagas/instance-update-start.ts'
import { instanceUpdateSaga } from './sagas/instance-update.ts'
import { SagaFaults } from './sagas/saga-faults.ts'
import { SagaRegistry } from './sagas/saga-registry.ts'
import type { NexusSagaServices } from './sagas/saga-services.ts'

export { BACKGROUND_TASKS, DEFAULT_PERIODS, type BackgroundTaskName } from './background/task-periods.ts'

declare module '../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** A new incarnation took over after a crash; `sagas` were running in the log and are recovered. */
    'nexus.restarted': { readonly incarnation: number; readonly sagas: readonly string[] }
  }
}

export interface NexusDeps {
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly rng: Rng
  /** Base URL Nexus serves at (`http://nexus.<testbed>.sim`). */
  readonly url: string
  readonly flags?: Partial<NexusFlags>
  /** Where MGS answers power-state queries (the watcher's sled_off check). */
  readonly mgsUrl: string
  /** Background task periods in ms; Omicron's production values by default. */
  readonly periods?: Partial<Record<BackgroundTaskName, number>>
  /** Called after every committed datastore write (after its `db.record` trace line, if it has one). */
  readonly onWrite?: WriteListener
  /**
   * How Nexus sends requests to sled-agents and MGS: the global `fetch` (which MSW intercepts) by
   * default; the testbed's direct transport passes one that skips the interception.
   */
  readonly fetch?: typeof fetch
}

/** A sled as Nexus's inventory knows it: its record and where its sled-agent listens. */
export interface SledRegistration {
  readonly id: SledUuid
  readonly name: string
  /** Where its sled-agent listens. */
  readonly url: string
  /** The SP slot MGS knows the sled by. */
  readonly spSlot: number
  readonly hardwareThreads: number
  readonly reservoirBytes: number
  readonly cpuFamily: SledCpuFamily
}

export class Nexus {
  readonly url: string
  readonly flags: NexusFlags
  readonly db: Datastore
  readonly ids: IdSource
  readonly projectId: ProjectUuid
  /** Fail a saga node, or crash Nexus right after one (`tb.sagaFaults`). */
  readonly sagaFaults = new SagaFaults()
  /**
   * The instance operations of whichever incarnation is live, from one stable object (the HTTP
   * handlers hold it): while Nexus is down, and for a call whose Nexus died before it answered,
   * every call fails with a 503 NexusApiError naming the operation.
   */
  readonly instances: InstanceService
  readonly #durable: NexusDurable
  readonly #clock: VirtualClock
  readonly #trace: Trace
  readonly #sledUrls = new Map<SledUuid, string>()
  readonly #spSlots = new Map<SledUuid, number>()
  readonly #fetch: typeof fetch
  #live: NexusIncarnation

  constructor(deps: NexusDeps) {
    this.url = deps.url
    this.flags = { ...SHIPPING_FLAGS, ...deps.flags }
    this.#clock = deps.clock
    this.#trace = deps.trace
    this.#fetch = deps.fetch ?? globalFetch
    this.ids = new IdSource(deps.rng.fork('nexus-ids'))
    this.projectId = this.ids.uuid('project')
    const { trace, onWrite } = deps
    this.db = new Datastore({
      now: () => deps.clock.now(),
      onWrite: (write) => {
        traceRecordWrite(trace, write)
        onWrite?.(write)
      },
    })
    const registry = new SagaRegistry<NexusSagaServices>()
    // Registered up front, so a restarted Nexus can recover any of them whatever its first life ran.
    registry.register(instanceCreateSaga)
    registry.register(instanceStartSaga)
    registry.register(instanceDeleteSaga)
    registry.register(instanceMigrateSaga)
    registry.register(startInstanceUpdateSaga)
    registry.register(instanceUpdateSaga)
    this.#durable = {
      clock: deps.clock,
      trace,
      db: this.db,
      ids: this.ids,
      projectId: this.projectId,
      flags: this.flags,
      sagaFaults: this.sagaFaults,
      registry,
      periods: { ...DEFAULT_PERIODS, ...deps.periods },
      mgsUrl: deps.mgsUrl,
      fetch: this.#fetch,
      sledClient: (sledId) => this.sledClient(sledId),
      spSlot: (sledId) => this.#spSlots.get(sledId) ?? null,
    }
    this.#live = this.#incarnate(1)
    this.instances = liveFront<InstanceService>('instances', () => this.#live)
  }

  /** False from a crash until the restart: Nexus's host does not answer and its API calls fail. */
  get up(): boolean {
    return this.#live.up
  }

  /** Which life this is: 1 as built, one more per restart. */
  get incarnation(): number {
    return this.#live.number
  }

  /** The live incarnation's saga executor (a crashed one while Nexus is down). */
  get sagas(): SagaExecutor<NexusSagaServices> {
    return this.#live.sagas
  }

  get intake(): VmmIntake {
    return this.#live.intake
  }

  get updates(): InstanceUpdateRunner {
    return this.#live.updates
  }

  get background(): BackgroundDriver {
    return this.#live.background
  }

  /** Runs one background task now (`tb.activate`); rejects with a 503 while Nexus is down. */
  activate(task: BackgroundTaskName): Promise<TaskStatus> {
    return this.#live.activate(task)
  }

  /**
   * Nexus dies between two steps: no saga takes another step (each stays `running` in the log),
   * background tasks stop, its host stops answering (sled-agents' upcalls fail and are retried), and
   * API calls fail with a 503. A saga fault that crashes Nexus does all of this too. No-op when down.
   */
  crash(reason = 'nexus.crash()'): void {
    this.#live.crash(reason)
  }

  /**
   * A new Nexus over the same datastore: fresh executor, intake and tasks (each on its period from
   * now), then recovery of every saga the log has `running`. Resolves when every recovered saga has
   * ended, with their outcomes. A restart of a live Nexus first crashes it, as a process restart would.
   */
  restart(): Promise<RecoveredSaga[]> {
    if (this.up) this.crash('nexus.restart()')
    this.#live = this.#incarnate(this.#live.number + 1)
    const running = this.db.sagaList({ state: 'running' }).map((s) => s.id)
    this.#trace.record('nexus.restarted', { incarnation: this.#live.number, sagas: running })
    return this.#live.sagas.recover()
  }

  /**
   * Operator expunge (`sled_set_policy` to expunged): the sled's VMMs are gone for good, which the
   * instance watcher, activated now, turns into `failed(sled_expunged)`. Resolves with that
   * activation's status; expunging an expunged sled again only activates the watcher again. Rejects
   * with a 404 NexusApiError for a sled not in the inventory, and with a 503 while Nexus is down.
   */
  async sledExpunge(sledId: SledUuid): Promise<TaskStatus> {
    if (!this.up) throw this.#live.refusal('sledExpunge')
    const outcome = this.db.sledSetPolicy(sledId, 'expunged')
    switch (outcome.kind) {
      case 'updated':
        return this.#live.activate('instance_watcher')
      case 'not_found':
        throw objectNotFound('sled', { id: sledId })
      // Only a change away from expunged is refused, so this cannot happen; a 500 if it does.
      case 'refused':
        throw internalError(`sled expunge failed: ${outcome.message} (sled ${sledId})`)
      default:
        return assertNever(outcome, 'sled policy outcome')
    }
  }

  /** Adds a sled to the inventory (in service). */
  addSled(sled: SledRegistration): SledRecord {
    this.#sledUrls.set(sled.id, sled.url)
    this.#spSlots.set(sled.id, sled.spSlot)
    return this.db.sledInsert({ id: sled.id, name: sled.name, hardwareThreads: sled.hardwareThreads, reservoirBytes: sled.reservoirBytes, cpuFamily: sled.cpuFamily })
  }

  sledClient(sledId: SledUuid): SledAgentClient {
    const url = this.#sledUrls.get(sledId)
    if (url === undefined) throw new Error(`sled client failed: sled ${sledId} is not in the inventory`)
    return new SledAgentClient(url, { clock: this.#clock, fetch: this.#fetch })
  }

  /**
   * The MSW handlers of the internal API and the instance part of the external API. They reach the
   * live incarnation at each request, so they keep working across restarts; while Nexus is down the
   * testbed makes its host unreachable (`up`), so they are not asked at all.
   */
  handlers() {
    const requestId = () => this.ids.uuid('request')
    const intake: VmmStateIntake = {
      acceptUpcall: (propolisId, state) => this.#liveIntake('cpapi_instances_put').acceptUpcall(propolisId, state),
      ringDoorbell: (propolisId) => this.#liveIntake('cpapi_vmm_doorbell').ringDoorbell(propolisId),
    }
    return [...nexusInternalHandlers(this.url, intake, requestId), ...instanceHandlers(this.url, this.instances, requestId)]
  }

  #liveIntake(operation: string): VmmStateIntake {
    if (!this.up) throw this.#live.refusal(operation)
    return this.#live.intake
  }

  #incarnate(number: number): NexusIncarnation {
    return new NexusIncarnation(this.#durable, number)
  }
}
