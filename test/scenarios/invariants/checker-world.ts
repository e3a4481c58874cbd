// A datastore on a hand-moved clock whose every write feeds an invariant checker, with the trace and
// the unrouted-request list the checker reads, for breaking one invariant at a time.
import { Datastore } from '../../../nexus/db/datastore.ts'
import type { RecordWrite } from '../../../nexus/db/tables.ts'
import { InvariantChecker } from '../../../scenarios/invariants/invariant-checker.ts'
import type { InvariantDb } from '../../../scenarios/invariants/invariant-db.ts'
import type { InvariantName } from '../../../scenarios/invariants/violation.ts'
import { IdSource } from '../../../sim/kernel/ids.ts'
import { Rng } from '../../../sim/kernel/rng.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import type { InstanceRecord, SledRecord, VmmRecord } from '../../../nexus/db/records.ts'
import { vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { addRunningInstance, T0, type TestDb } from '../../nexus/db/db-fixtures.ts'

export interface CheckerWorld {
  /** The store and its builders' handle (`addSled(w.t)`, ...); `t.advance` moves the checker's clock too. */
  readonly t: TestDb
  readonly trace: Trace
  /** Push a line to fake a request that no simulated host served. */
  readonly unrouted: string[]
  readonly checker: InvariantChecker
  /** The violations as `[invariant, subject]` pairs. */
  found(): [InvariantName, string][]
}

export interface CheckerWorldOptions {
  /** What the checker reads instead of the store itself (to fake a state the store refuses). */
  readonly reads?: (db: Datastore) => InvariantDb
  /** Whether the store's writes feed `observe` (default true). */
  readonly observe?: boolean
}

export function checkerWorld(options: CheckerWorldOptions = {}): CheckerWorld {
  let now = T0
  const clock = { elapsed: () => now - T0 }
  const trace = new Trace(clock)
  const unrouted: string[] = []
  const writes: RecordWrite[] = []
  const listeners: ((write: RecordWrite) => void)[] = []
  const db = new Datastore({ now: () => now, onWrite: (write) => listeners.forEach((listen) => listen(write)) })
  listeners.push((write) => writes.push(write))
  const ids = new IdSource(new Rng(1).fork('invariants-test'))
  const t: TestDb = { db, ids, projectId: ids.uuid('project'), writes, now: () => now, advance: (ms) => void (now += ms) }
  const checker = new InvariantChecker({ clock, db: options.reads?.(db) ?? db, unroutedRequests: () => unrouted, trace })
  if (options.observe ?? true) listeners.push((write) => checker.observe(write))
  return { t, trace, unrouted, checker, found: () => checker.violations().map((v) => [v.invariant, v.subject]) }
}

/** A started instance as the start saga leaves it: active VMM in `state`, reservation and provisioning held. */
export function addStartedInstance(w: CheckerWorld, name: string, state: VmmState = vmmState('running')): { instance: InstanceRecord; vmm: VmmRecord; sled: SledRecord } {
  const started = addRunningInstance(w.t, name, state)
  const { instance, vmm, sled } = started
  const size = { hardwareThreads: instance.ncpus, reservoirRam: instance.memory }
  w.t.db.sledReservationInsert({ propolisId: vmm.id, sledId: sled.id, instanceId: instance.id, ...size, state: 'active' })
  w.t.db.provisioningAddInstance({ instanceId: instance.id, projectId: instance.projectId, cpus: instance.ncpus, ram: instance.memory })
  return started
}

/** The store's reads, each replaceable: a state the store would never let a write produce. */
export function bentReads(db: Datastore, overrides: Partial<InvariantDb>): InvariantDb {
  const reads: InvariantDb = {
    instanceList: (...a) => db.instanceList(...a),
    vmmGet: (...a) => db.vmmGet(...a),
    vmmListAbandoned: () => db.vmmListAbandoned(),
    sledList: () => db.sledList(),
    sledReservationList: (...a) => db.sledReservationList(...a),
    sledReservationGet: (...a) => db.sledReservationGet(...a),
    provisioningRead: () => db.provisioningRead(),
    sagaGet: (...a) => db.sagaGet(...a),
    readView: () => db.readView(),
  }
  return { ...reads, ...overrides }
}
