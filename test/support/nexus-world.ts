// A Nexus-side world for tests of the Nexus core before the testbed exists: simulated sleds, a
// datastore that knows them, the real internal API at the Nexus host feeding a VmmIntake, and a
// recorder standing in for the instance-update sagas (issue 5), so tests can see what was asked.
import { instanceHandlers } from '../../nexus/api/instance-handlers.ts'
import { nexusInternalHandlers } from '../../nexus/api/internal-handlers.ts'
import { InstanceService } from '../../nexus/app/instance-service.ts'
import { SHIPPING_FLAGS } from '../../nexus/nexus-config.ts'
import { SagaExecutor } from '../../nexus/sagas/executor.ts'
import { SagaFaults } from '../../nexus/sagas/saga-faults.ts'
import { SledAgentClient } from '../../nexus/app/sled-agent-client.ts'
import { VmmIntake, type InstanceUpdates } from '../../nexus/app/vmm-intake.ts'
import { Datastore } from '../../nexus/db/datastore.ts'
import type { InstanceRecord, VmmRecord } from '../../nexus/db/records.ts'
import type { InstanceUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { nextGeneration } from '../../sim/sled-agent/api/index.ts'
import type { Propagation } from '../../sim/sled-agent/nexus-notifier.ts'
import type { SimSled } from '../../sim/sled-agent/sled.ts'
import { ensureBody, SledHarness } from './sled-harness.ts'

const GIB = 1024 ** 3

export class RecordingUpdates implements InstanceUpdates {
  readonly spawned: InstanceUuid[] = []
  readonly ran: InstanceUuid[] = []
  spawn(instanceId: InstanceUuid): void {
    this.spawned.push(instanceId)
  }
  run(instanceId: InstanceUuid): Promise<void> {
    this.ran.push(instanceId)
    return Promise.resolve()
  }
}

export interface NexusWorld {
  readonly h: SledHarness
  readonly db: Datastore
  readonly intake: VmmIntake
  readonly updates: RecordingUpdates
  readonly sledClient: (sledId: SledUuid) => SledAgentClient
  readonly instances: InstanceService
}

export function createNexusWorld(propagation: Propagation = 'upcall'): NexusWorld {
  const updates = new RecordingUpdates()
  let intake: VmmIntake | null = null
  let instances: InstanceService | null = null
  const live = <T>(value: T | null): T => {
    if (value === null) throw new Error('Nexus is not wired yet')
    return value
  }
  const h = new SledHarness({
    propagation,
    nexusHandlers: (url) => [
      ...nexusInternalHandlers(url, { acceptUpcall: (id, s) => live(intake).acceptUpcall(id, s), ringDoorbell: (id) => live(intake).ringDoorbell(id) }, () => 'req-1'),
      ...instanceHandlers(url, lazyService(() => live(instances)), () => 'req-1'),
    ],
  })
  const db = new Datastore({ now: () => h.clock.now() })
  for (const sled of h.sleds) db.sledInsert({ id: sled.id, name: sled.name, hardwareThreads: 64, reservoirBytes: 256 * GIB, cpuFamily: 'amd_milan' })
  const sledClient = (sledId: SledUuid) => {
    const sled = h.sleds.find((s) => s.id === sledId)
    if (sled === undefined) throw new Error(`no sled ${sledId}`)
    return new SledAgentClient(sled.url, { clock: h.clock })
  }
  intake = new VmmIntake({ db, trace: h.trace, clock: h.clock, updates, sledClient })
  const sagas = new SagaExecutor({ db, trace: h.trace, clock: h.clock, ids: h.ids, services: { db, ids: h.ids, flags: SHIPPING_FLAGS, intake, sledClient }, faults: new SagaFaults() })
  instances = new InstanceService({ db, intake, sledClient, projectId: h.ids.uuid('project'), sagas, ids: h.ids, trace: h.trace, flags: SHIPPING_FLAGS })
  return { h, db, intake, updates, sledClient, instances }
}

/** The handlers are built before the service exists; hand them one that forwards to it. */
function lazyService(get: () => InstanceService): InstanceService {
  return new Proxy({} as InstanceService, {
    get: (_target, key) => {
      const service = get()
      const value: unknown = Reflect.get(service, key, service)
      return typeof value === 'function' ? value.bind(service) : value
    },
  })
}

/** An instance whose VMM is registered on `sled` and linked as active, as the start saga leaves it before "ensure running". */
export async function instanceWithRegisteredVmm(w: NexusWorld, sled: SimSled, name = 'db1'): Promise<{ instance: InstanceRecord; vmm: VmmRecord }> {
  const { h, db, intake } = w
  const created = db.instanceInsert({ id: h.ids.uuid('instance'), name, projectId: w.instances.projectId, ncpus: 2, memory: 4 * GIB, hostname: name, intendedState: 'running' })
  if (created.kind !== 'inserted') throw new Error(created.kind)
  const stopped = db.instanceUpdateRuntime(created.instance.id, { ...created.instance, state: 'no_vmm', gen: nextGeneration(created.instance.gen) })
  if (stopped.kind !== 'updated') throw new Error(stopped.kind)
  const vmm = db.vmmInsert({ id: h.ids.uuid('propolis'), instanceId: created.instance.id, sledId: sled.id, propolisIp: 'fd00::1', cpuPlatform: 'amd_milan' })
  const state = await w.sledClient(sled.id).vmmRegister(vmm.id, ensureBody({ instanceId: created.instance.id, addr: `[fd00::${name.length}]:12400`, state: 'starting', now: h.clock.isoNow(), migrationId: null }))
  intake.notify(vmm.id, state)
  const set = db.instanceSetActiveVmm(created.instance.id, { propolisId: vmm.id, stampAutoRestart: false })
  if (set.kind !== 'set') throw new Error(set.kind)
  const row = db.vmmGet(vmm.id)
  if (row === null) throw new Error('vmm vanished')
  return { instance: set.instance, vmm: row }
}
