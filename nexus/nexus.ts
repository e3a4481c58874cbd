// Nexus: the datastore, the sled-agent clients, the state intake and the instance operations,
// composed from the clock, trace and ids it is given, plus the MSW handlers of its internal and
// external APIs (the testbed serves them at Nexus's host). It reaches sleds only over HTTP.
import type { VirtualClock } from '../sim/kernel/clock.ts'
import { IdSource, type ProjectUuid, type SledUuid } from '../sim/kernel/ids.ts'
import type { Rng } from '../sim/kernel/rng.ts'
import type { Trace } from '../sim/kernel/trace.ts'
import { instanceHandlers } from './api/instance-handlers.ts'
import { nexusInternalHandlers } from './api/internal-handlers.ts'
import { InstanceService } from './app/instance-service.ts'
import { SledAgentClient } from './app/sled-agent-client.ts'
import { VmmIntake, type InstanceUpdates } from './app/vmm-intake.ts'
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
  /** Runs instance-update sagas; until the saga executor exists, the caller provides it. */
  readonly updates: InstanceUpdates
}

/** A sled as Nexus's inventory knows it: its record and where its sled-agent listens. */
export interface SledRegistration {
  readonly id: SledUuid
  readonly name: string
  readonly url: string
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
  readonly #clock: VirtualClock
  readonly #sledUrls = new Map<SledUuid, string>()

  constructor(deps: NexusDeps) {
    this.url = deps.url
    this.flags = { ...SHIPPING_FLAGS, ...deps.flags }
    this.#clock = deps.clock
    this.ids = new IdSource(deps.rng.fork('nexus-ids'))
    this.projectId = this.ids.uuid('project')
    this.db = new Datastore({ now: () => deps.clock.now() })
    const sledClient = (sledId: SledUuid) => this.sledClient(sledId)
    this.intake = new VmmIntake({ db: this.db, trace: deps.trace, clock: deps.clock, sledClient, updates: deps.updates })
    const services: NexusSagaServices = { db: this.db, ids: this.ids, flags: this.flags, intake: this.intake, sledClient }
    this.sagas = new SagaExecutor({ db: this.db, trace: deps.trace, clock: deps.clock, ids: this.ids, services, faults: this.sagaFaults })
    this.instances = new InstanceService({ db: this.db, intake: this.intake, sledClient, projectId: this.projectId, sagas: this.sagas })
  }

  /** Adds a sled to the inventory (in service). */
  addSled(sled: SledRegistration): SledRecord {
    this.#sledUrls.set(sled.id, sled.url)
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
