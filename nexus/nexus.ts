// Nexus: the datastore, the sled-agent clients, the state intake and the instance operations,
// composed from the clock, trace and ids it is given, plus the MSW handlers of its internal and
// external APIs (the testbed serves them at Nexus's host). It reaches sleds only over HTTP.
import type { VirtualClock } from '../sim/kernel/clock.ts'
import { IdSource, type InstanceUuid, type ProjectUuid, type SledUuid } from '../sim/kernel/ids.ts'
import type { Rng } from '../sim/kernel/rng.ts'
import type { Trace } from '../sim/kernel/trace.ts'
import { instanceHandlers } from './api/instance-handlers.ts'
import { nexusInternalHandlers } from './api/internal-handlers.ts'
import { InstanceService } from './app/instance-service.ts'
import { SledAgentClient } from './app/sled-agent-client.ts'
import { InstanceUpdateRunner } from './app/instance-updates.ts'
import { MgsClient } from './app/mgs-client.ts'
import { VmmIntake } from './app/vmm-intake.ts'
import { abandonedVmmReaper } from './background/abandoned-vmm-reaper.ts'
import { BackgroundDriver, type TaskStatus } from './background/driver.ts'
import { instanceUpdater } from './background/instance-updater.ts'
import { instanceReincarnation } from './background/instance-reincarnation.ts'
import { instanceWatcher } from './background/instance-watcher.ts'
import { instanceStart } from './sagas/start-instance.ts'
import { Datastore } from './db/datastore.ts'
import { SagaExecutor } from './sagas/executor.ts'
import { SagaFaults } from './sagas/saga-faults.ts'
import type { NexusSagaServices } from './sagas/saga-services.ts'
import type { SledCpuFamily, SledRecord } from './db/records.ts'
import { SHIPPING_FLAGS, type NexusFlags } from './nexus-config.ts'

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
}

export const BACKGROUND_TASKS = ['instance_watcher', 'instance_updater', 'instance_reincarnation', 'abandoned_vmm_reaper'] as const
export type BackgroundTaskName = (typeof BACKGROUND_TASKS)[number]

/** Production periods (smf/nexus config-partial.toml); the updater runs on the watcher's period, a quirk kept. */
export const DEFAULT_PERIODS: Readonly<Record<BackgroundTaskName, number>> = {
  instance_watcher: 30_000,
  instance_updater: 30_000,
  instance_reincarnation: 60_000,
  abandoned_vmm_reaper: 60_000,
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
  readonly intake: VmmIntake
  readonly instances: InstanceService
  /** Fail a saga node, or crash Nexus right after one (`tb.sagaFaults`). */
  readonly sagaFaults = new SagaFaults()
  readonly sagas: SagaExecutor<NexusSagaServices>
  readonly updates: InstanceUpdateRunner
  readonly background: BackgroundDriver
  readonly #clock: VirtualClock
  readonly #sledUrls = new Map<SledUuid, string>()
  readonly #spSlots = new Map<SledUuid, number>()

  constructor(deps: NexusDeps) {
    this.url = deps.url
    this.flags = { ...SHIPPING_FLAGS, ...deps.flags }
    this.#clock = deps.clock
    this.ids = new IdSource(deps.rng.fork('nexus-ids'))
    this.projectId = this.ids.uuid('project')
    this.db = new Datastore({ now: () => deps.clock.now() })
    const sledClient = (sledId: SledUuid) => this.sledClient(sledId)
    this.background = new BackgroundDriver(deps.clock, deps.trace)
    // A failed or unstartable update saga is backed up by the instance-updater task.
    this.updates = new InstanceUpdateRunner({
      executor: () => this.sagas,
      trace: deps.trace,
      onBackstop: () => void this.background.activate('instance_updater'),
      // An update that leaves an instance wanting a restart wakes the reincarnation task.
      onReincarnation: () => void this.background.activate('instance_reincarnation'),
    })
    this.intake = new VmmIntake({ db: this.db, trace: deps.trace, clock: deps.clock, sledClient, updates: this.updates })
    const services: NexusSagaServices = { db: this.db, ids: this.ids, flags: this.flags, intake: this.intake, sledClient }
    this.sagas = new SagaExecutor({ db: this.db, trace: deps.trace, clock: deps.clock, ids: this.ids, services, faults: this.sagaFaults })
    this.instances = new InstanceService({
      db: this.db,
      intake: this.intake,
      sledClient,
      projectId: this.projectId,
      sagas: this.sagas,
      ids: this.ids,
      trace: deps.trace,
      flags: this.flags,
    })
    const periods = { ...DEFAULT_PERIODS, ...deps.periods }
    const mgs = new MgsClient(deps.mgsUrl, deps.clock)
    const watcher = instanceWatcher({ db: this.db, trace: deps.trace, clock: deps.clock, updates: this.updates, sledClient, mgs, spSlot: (id) => this.#spSlots.get(id) ?? null })
    this.background.register(watcher, periods.instance_watcher)
    this.background.register(instanceUpdater(this.db, this.updates), periods.instance_updater)
    const autoRestart = async (instanceId: InstanceUuid) => void (await instanceStart({ db: this.db, sagas: this.sagas }, instanceId, 'auto_restart'))
    this.background.register(instanceReincarnation(this.db, () => deps.clock.now(), autoRestart), periods.instance_reincarnation)
    this.background.register(abandonedVmmReaper(this.db), periods.abandoned_vmm_reaper)
  }

  /** Runs one background task now (`tb.activate`). */
  activate(task: BackgroundTaskName): Promise<TaskStatus> {
    return this.background.activate(task)
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
    return new SledAgentClient(url, { clock: this.#clock })
  }

  /** The MSW handlers of the internal API and the instance part of the external API. */
  handlers() {
    const requestId = () => this.ids.uuid('request')
    return [...nexusInternalHandlers(this.url, this.intake, requestId), ...instanceHandlers(this.url, this.instances, requestId)]
  }
}
