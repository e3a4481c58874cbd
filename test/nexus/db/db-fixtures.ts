// Builders for datastore tests: a store on a hand-moved clock with seeded ids, and rows in the states
// the tests start from (a stopped instance, a running one with its VMM on a sled).
import { Datastore } from '../../../nexus/db/datastore.ts'
import type { InstanceRecord, SledRecord, VmmRecord } from '../../../nexus/db/records.ts'
import type { RecordWrite } from '../../../nexus/db/tables.ts'
import { vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { IdSource, type ProjectUuid } from '../../../sim/kernel/ids.ts'
import { Rng } from '../../../sim/kernel/rng.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'

export const T0 = Date.UTC(2026, 7, 21, 10)
export const GIB = 1024 ** 3

export interface TestDb {
  readonly db: Datastore
  readonly ids: IdSource
  readonly projectId: ProjectUuid
  /** Every write the store reported, in order. */
  readonly writes: RecordWrite[]
  now(): number
  advance(ms: number): void
}

export function testDb(seed = 1): TestDb {
  let now = T0
  const writes: RecordWrite[] = []
  const ids = new IdSource(new Rng(seed).fork('db-test'))
  const db = new Datastore({ now: () => now, onWrite: (w) => writes.push(w) })
  return {
    db,
    ids,
    projectId: ids.uuid('project'),
    writes,
    now: () => now,
    advance: (ms) => {
      now += ms
    },
  }
}

export function addSled(t: TestDb, name = 'sled-0', overrides: Partial<Pick<SledRecord, 'hardwareThreads' | 'reservoirBytes'>> = {}): SledRecord {
  return t.db.sledInsert({
    id: t.ids.uuid('sled'),
    name,
    hardwareThreads: overrides.hardwareThreads ?? 64,
    reservoirBytes: overrides.reservoirBytes ?? 256 * GIB,
    cpuFamily: 'amd_milan',
  })
}

/** An instance past `instance-create`: `no_vmm` at generation 2. */
export function addStoppedInstance(t: TestDb, name = 'db1'): InstanceRecord {
  const created = t.db.instanceInsert({
    id: t.ids.uuid('instance'),
    name,
    projectId: t.projectId,
    ncpus: 2,
    memory: 4 * GIB,
    hostname: name,
    intendedState: 'running',
  })
  if (created.kind !== 'inserted') throw new Error(`fixture failed: ${created.kind}`)
  const row = created.instance
  const outcome = t.db.instanceUpdateRuntime(row.id, { ...row, state: 'no_vmm', gen: nextGeneration(row.gen) })
  if (outcome.kind !== 'updated') throw new Error(`fixture failed: ${outcome.kind}`)
  return outcome.instance
}

/** Inserts a VMM for the instance on the sled and moves it to `state` (gen 2), without linking it. */
export function addVmm(t: TestDb, instance: InstanceRecord, sled: SledRecord, state: VmmState = vmmState('running')): VmmRecord {
  const vmm = t.db.vmmInsert({ id: t.ids.uuid('propolis'), instanceId: instance.id, sledId: sled.id, propolisIp: 'fd00::1', cpuPlatform: 'amd_milan' })
  if (state.state === 'creating') return vmm
  t.db.vmmUpdateRuntime(vmm.id, { state, generation: nextGeneration(vmm.gen), timeUpdated: t.now() })
  return mustVmm(t, vmm.id)
}

/** A started instance: its VMM is active and in `state`. */
export function addRunningInstance(
  t: TestDb,
  name = 'db1',
  state: VmmState = vmmState('running'),
): { instance: InstanceRecord; vmm: VmmRecord; sled: SledRecord } {
  const sled = t.db.sledList()[0] ?? addSled(t)
  const stopped = addStoppedInstance(t, name)
  const vmm = addVmm(t, stopped, sled, state)
  const set = t.db.instanceSetActiveVmm(stopped.id, { propolisId: vmm.id, stampAutoRestart: false })
  if (set.kind !== 'set') throw new Error(`fixture failed: ${set.kind}`)
  return { instance: set.instance, vmm, sled }
}

export function mustInstance(t: TestDb, id: InstanceRecord['id']): InstanceRecord {
  const row = t.db.instanceGet(id, { includeDeleted: true })
  if (row === null) throw new Error(`fixture failed: no instance ${id}`)
  return row
}

export function mustVmm(t: TestDb, id: VmmRecord['id']): VmmRecord {
  const row = t.db.vmmGet(id, { includeDeleted: true })
  if (row === null) throw new Error(`fixture failed: no vmm ${id}`)
  return row
}
