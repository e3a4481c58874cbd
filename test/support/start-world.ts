// A world for the instance-create and instance-start sagas: real simulated sleds behind MSW, a
// datastore that knows them (with the capacities and policies a test asks for), the real internal
// API feeding a VmmIntake, the saga services and an executor, plus the setups the saga harness takes.
import { nexusInternalHandlers } from '../../nexus/api/internal-handlers.ts'
import { NexusApiError } from '../../nexus/app/errors.ts'
import { SledAgentClient } from '../../nexus/app/sled-agent-client.ts'
import { VmmIntake } from '../../nexus/app/vmm-intake.ts'
import { Datastore } from '../../nexus/db/datastore.ts'
import type { InstanceCpuPlatform, InstanceRecord, SledCpuFamily, SledPolicy, StartReason } from '../../nexus/db/records.ts'
import { SHIPPING_FLAGS, type NexusFlags } from '../../nexus/nexus-config.ts'
import { SagaExecutor } from '../../nexus/sagas/executor.ts'
import type { NexusSagaServices } from '../../nexus/sagas/saga-services.ts'
import { SagaFaults } from '../../nexus/sagas/saga-faults.ts'
import { SagaRegistry } from '../../nexus/sagas/saga-registry.ts'
import { instanceStartSaga, type InstanceStartParams } from '../../nexus/sagas/instance-start.ts'
import { instanceStart, type InstanceStartResult } from '../../nexus/sagas/start-instance.ts'
import { IdSource, typedUuid, type InstanceUuid, type ProjectUuid, type SledUuid } from '../../sim/kernel/ids.ts'
import { nextGeneration } from '../../sim/sled-agent/api/index.ts'
import type { SagaTestWorld } from '../nexus/sagas/saga-harness.ts'
import { SledHarness } from './sled-harness.ts'

export const GIB = 1024 ** 3

/** How Nexus's inventory sees one sled (the simulated sled itself is always the same). */
export interface SledShape {
  readonly hardwareThreads?: number
  readonly reservoirGiB?: number
  readonly cpuFamily?: SledCpuFamily
  readonly policy?: SledPolicy
}

export interface StartWorldOptions {
  /** A count of default sleds (64 threads, 256 GiB, amd_milan), or one shape per sled. Default 2. */
  readonly sleds?: number | readonly SledShape[]
  readonly flags?: Partial<NexusFlags>
  readonly seed?: number
  /** What `markVmmFailed`'s synchronous update saga does; default nothing (it is only recorded). */
  readonly onUpdateRun?: (world: StartWorld, instanceId: InstanceUuid) => void
}

export interface InstanceShape {
  readonly ncpus?: number
  readonly memoryGiB?: number
  readonly cpuPlatform?: InstanceCpuPlatform | null
  readonly autoRestartPolicy?: 'never' | 'best_effort' | null
}

export class StartWorld {
  readonly h: SledHarness
  readonly db: Datastore
  readonly intake: VmmIntake
  readonly flags: NexusFlags
  readonly ids: IdSource
  readonly projectId: ProjectUuid
  readonly services: NexusSagaServices
  readonly faults = new SagaFaults()
  readonly registry = new SagaRegistry<NexusSagaServices>()
  readonly sagaIds: IdSource
  readonly executor: SagaExecutor<NexusSagaServices>
  /** Instances whose update saga was asked for: spawned (reports) and run (markVmmFailed). */
  readonly updatesSpawned: InstanceUuid[] = []
  readonly updatesRun: InstanceUuid[] = []

  constructor(options: StartWorldOptions = {}) {
    const shapes: readonly SledShape[] = typeof options.sleds === 'object' ? options.sleds : Array.from({ length: options.sleds ?? 2 }, () => ({}))
    let intake: VmmIntake | null = null
    const live = (): VmmIntake => {
      if (intake === null) throw new Error('Nexus is not wired yet')
      return intake
    }
    this.h = new SledHarness({
      sleds: shapes.length,
      seed: options.seed ?? 1,
      nexusHandlers: (url) => nexusInternalHandlers(url, { acceptUpcall: (id, s) => live().acceptUpcall(id, s), ringDoorbell: (id) => live().ringDoorbell(id) }, () => 'req-1'),
    })
    const { h } = this
    this.db = new Datastore({ now: () => h.clock.now() })
    for (const [i, sled] of h.sleds.entries()) {
      const shape = shapes[i] ?? {}
      this.db.sledInsert({
        id: sled.id,
        name: sled.name,
        hardwareThreads: shape.hardwareThreads ?? 64,
        reservoirBytes: (shape.reservoirGiB ?? 256) * GIB,
        cpuFamily: shape.cpuFamily ?? 'amd_milan',
        policy: shape.policy ?? 'in_service',
      })
    }
    const sledClient = (sledId: SledUuid) => {
      const sled = h.sleds.find((s) => s.id === sledId)
      if (sled === undefined) throw new Error(`no sled ${sledId}`)
      return new SledAgentClient(sled.url, { clock: h.clock })
    }
    const updates = {
      spawn: (instanceId: InstanceUuid) => void this.updatesSpawned.push(instanceId),
      run: (instanceId: InstanceUuid) => {
        this.updatesRun.push(instanceId)
        options.onUpdateRun?.(this, instanceId)
        return Promise.resolve()
      },
    }
    intake = new VmmIntake({ db: this.db, trace: h.trace, clock: h.clock, sledClient, updates })
    this.intake = intake
    this.flags = { ...SHIPPING_FLAGS, ...options.flags }
    this.ids = new IdSource(h.rng.fork('nexus-ids'))
    this.projectId = this.ids.uuid('project')
    this.services = { db: this.db, ids: this.ids, flags: this.flags, intake, sledClient }
    this.sagaIds = new IdSource(h.rng.fork('saga-ids'))
    this.executor = this.newExecutor()
  }

  /** An executor over this world's store, services and saga registry (what a restarted Nexus gets). */
  newExecutor(): SagaExecutor<NexusSagaServices> {
    return new SagaExecutor({
      db: this.db,
      trace: this.h.trace,
      clock: this.h.clock,
      ids: this.sagaIds,
      services: this.services,
      faults: this.faults,
      registry: this.registry,
    })
  }

  /** A stopped instance (`no_vmm`, gen 2), as instance-create leaves one. */
  stoppedInstance(name = 'db1', shape: InstanceShape = {}): InstanceRecord {
    const inserted = this.db.instanceInsert({
      id: this.ids.uuid('instance'),
      name,
      projectId: this.projectId,
      ncpus: shape.ncpus ?? 2,
      memory: (shape.memoryGiB ?? 4) * GIB,
      hostname: name,
      intendedState: 'stopped',
      cpuPlatform: shape.cpuPlatform ?? null,
      autoRestartPolicy: shape.autoRestartPolicy ?? null,
    })
    if (inserted.kind !== 'inserted') throw new Error(inserted.kind)
    const stopped = this.db.instanceUpdateRuntime(inserted.instance.id, { ...inserted.instance, state: 'no_vmm', gen: nextGeneration(inserted.instance.gen) })
    if (stopped.kind !== 'updated') throw new Error(stopped.kind)
    return stopped.instance
  }

  /** `instanceStart` on this world's executor. */
  start(instanceId: InstanceUuid, reason: StartReason = 'user'): Promise<InstanceStartResult> {
    return instanceStart({ db: this.db, sagas: this.executor }, instanceId, reason)
  }

  /** Advances virtual time until `work` settles, then `afterMs` more (VMMs boot, sleds tidy up). */
  async drive<T>(work: Promise<T>, afterMs = 20_000): Promise<T> {
    const box: { settled: { ok: true; value: T } | { ok: false; error: unknown } | null } = { settled: null }
    void work.then(
      (value) => (box.settled = { ok: true, value }),
      (error: unknown) => (box.settled = { ok: false, error }),
    )
    const { clock } = this.h
    await clock.settle()
    for (let spent = 0; box.settled === null && spent < 3_600_000; spent += 100) await clock.advance(100)
    await clock.advance(afterMs)
    const { settled } = box
    if (settled === null) throw new Error('drive failed: the work did not settle within an hour of virtual time')
    if (!settled.ok) throw settled.error
    return settled.value
  }

  /** The error `work` rejects with once driven (a test expecting a failure). */
  async driveToError(work: Promise<unknown>): Promise<unknown> {
    try {
      await this.drive(work)
    } catch (error) {
      return error
    }
    throw new Error('expected the work to fail, but it succeeded')
  }

  /** The NexusApiError `work` rejects with once driven; anything else fails the test. */
  async driveToApiError(work: Promise<unknown>): Promise<NexusApiError> {
    const error = await this.driveToError(work)
    if (!(error instanceof NexusApiError)) throw new Error(`expected a NexusApiError, got ${String(error)}`)
    return error
  }

  /** The end state two correct runs must agree on; ids drawn by actions become labels, times are left out. */
  snapshot(): WorldSnapshot {
    const vmmRows = this.db.vmmList()
    // Labels in order of first appearance: VMM rows, then reservations and sled VMMs without a row.
    const seen = [...vmmRows.map((v) => v.id), ...this.db.sledReservationList().map((r) => r.id), ...this.h.sleds.flatMap((s) => s.vmmViews().map((v) => v.propolisId))]
    const order = [...new Set<string>(seen)]
    const label = (id: string | null) => (id === null ? null : `vmm-${order.indexOf(id) + 1}`)
    const sledName = (id: string) => this.db.sledGet(typedSled(id))?.name ?? 'unknown'
    const instanceName = (id: string) => this.db.instanceGet(typedInstance(id), { includeDeleted: true })?.name ?? 'unknown'
    return {
      instances: this.db.instanceList({ includeDeleted: true }).map((i) => ({
        name: i.name,
        state: i.state,
        gen: i.gen,
        active: label(i.activePropolisId),
        intendedState: i.intendedState,
        deleted: i.timeDeleted !== null,
        autoRestarted: i.timeLastAutoRestarted !== null,
        startFailure: i.startFailure === undefined ? null : { reason: i.startFailure.reason, node: i.startFailure.failedNode, status: i.startFailure.statusCode },
      })),
      vmms: vmmRows.map((v) => ({ vmm: label(v.id), instance: instanceName(v.instanceId), sled: sledName(v.sledId), state: v.state, gen: v.gen, failureReason: v.failureReason, deleted: v.timeDeleted !== null })),
      reservations: this.db.sledReservationList().map((r) => ({ vmm: label(r.id), sled: sledName(r.sledId), threads: r.hardwareThreads, ram: r.reservoirRam, state: r.state })),
      provisioning: { fleet: this.db.provisioningRead().fleet, instances: this.db.provisioningRead().instances.map((p) => ({ instance: instanceName(p.instanceId), cpus: p.cpus, ram: p.ram })) },
      onSleds: this.h.sleds.flatMap((sled) => sled.vmmViews().map((v) => ({ sled: sled.name, vmm: label(v.propolisId) ?? 'unknown', state: v.state.vmm_state.state }))),
    }
  }

  dispose(): void {
    this.h.dispose()
  }
}

export interface WorldSnapshot {
  readonly instances: readonly {
    readonly name: string
    readonly state: string
    readonly gen: number
    readonly active: string | null
    readonly intendedState: string
    readonly deleted: boolean
    readonly autoRestarted: boolean
    readonly startFailure: { readonly reason: string; readonly node: string; readonly status: number | null } | null
  }[]
  readonly vmms: readonly { readonly vmm: string | null; readonly instance: string; readonly sled: string; readonly state: string; readonly gen: number; readonly failureReason: string | null; readonly deleted: boolean }[]
  readonly reservations: readonly { readonly vmm: string | null; readonly sled: string; readonly threads: number; readonly ram: number; readonly state: string }[]
  readonly provisioning: { readonly fleet: { readonly cpus: number; readonly ram: number }; readonly instances: readonly { readonly instance: string; readonly cpus: number; readonly ram: number }[] }
  readonly onSleds: readonly { readonly sled: string; readonly vmm: string; readonly state: string }[]
}

const typedSled = (id: string) => typedUuid('sled', id)
const typedInstance = (id: string) => typedUuid('instance', id)

/**
 * What every unwound start must leave (omicron-behaviour.md §1.4): no reservation, no provisioning,
 * no VMM on any sled, every VMM the saga made `saga_unwound`, and the instance unlinked: `no_vmm`, or
 * after MARK_AS_STARTING with `unwoundStartLeaves: 'failed'`, `failed`.
 */
export function checkUnwoundStart(w: StartWorld, instanceId: InstanceUuid, failedNode: string): void {
  const snap = w.snapshot()
  const problems: string[] = []
  if (snap.reservations.length > 0) problems.push(`reservations left: ${JSON.stringify(snap.reservations)}`)
  if (snap.provisioning.instances.length > 0 || snap.provisioning.fleet.cpus !== 0) problems.push(`provisioning left: ${JSON.stringify(snap.provisioning)}`)
  if (snap.onSleds.length > 0) problems.push(`VMMs left on sleds: ${JSON.stringify(snap.onSleds)}`)
  const notUnwound = w.db.vmmList({ instanceId }).filter((v) => v.state !== 'saga_unwound')
  if (notUnwound.length > 0) problems.push(`VMMs not saga_unwound: ${notUnwound.map((v) => v.state).join(', ')}`)
  const nodes: string[] = instanceStartSaga.nodes.map((n) => n.name)
  const marked = nodes.indexOf(failedNode) > nodes.indexOf('mark-as-starting')
  const expected = marked && w.flags.unwoundStartLeaves === 'failed' ? 'failed' : 'no_vmm'
  const instance = w.db.instanceGet(instanceId)
  if (instance?.state !== expected || instance.activePropolisId !== null) problems.push(`instance is ${instance?.state} (active ${instance?.activePropolisId}), expected ${expected}`)
  if (problems.length > 0) throw new Error(`unwound at ${failedNode} but left: ${problems.join('; ')}`)
}

/** What a successful start leaves: the VMM active and on its sled, its reservation and provisioning held. */
export function checkStarted(w: StartWorld, instanceId: InstanceUuid): void {
  const found = w.db.instanceFetchWithVmm(instanceId)
  const vmm = found?.vmm ?? null
  const problems: string[] = []
  if (found?.instance.state !== 'vmm' || vmm === null) problems.push(`instance is ${found?.instance.state} without a live VMM`)
  if (vmm !== null && w.db.sledReservationGet(vmm.id)?.state !== 'active') problems.push('no active reservation')
  if (!w.db.provisioningRead().instances.some((p) => p.instanceId === instanceId)) problems.push('no provisioning')
  if (vmm !== null && !w.h.sleds.some((s) => s.vmmViews().some((v) => v.propolisId === vmm.id))) problems.push('the VMM is on no sled')
  if (problems.length > 0) throw new Error(`started but ${problems.join('; ')}`)
}

/** A fresh world with one stopped instance, as the saga harness wants it for instance-start. */
export function startSagaTestWorld(options: StartWorldOptions & { readonly reason?: StartReason } = {}): SagaTestWorld<InstanceStartParams, NexusSagaServices, WorldSnapshot> {
  const w = new StartWorld(options)
  const instance = w.stoppedInstance('db1')
  return {
    db: w.db,
    services: w.services,
    params: { instance, reason: options.reason ?? 'user' },
    clock: w.h.clock,
    trace: w.h.trace,
    snapshot: () => w.snapshot(),
    check: (ending) => {
      if (ending.kind === 'succeeded') checkStarted(w, instance.id)
      if (ending.kind === 'unwound') checkUnwoundStart(w, instance.id, ending.failedNode)
    },
    drive: (work) => w.drive(work),
    dispose: () => w.dispose(),
  }
}
