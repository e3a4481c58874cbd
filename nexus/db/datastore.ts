// `Datastore`: Nexus's database. It owns the tables and exposes only named queries, each in the
// module that mirrors its omicron counterpart (see each module for outcomes). Reads return copies,
// so nothing outside `nexus/db/` changes a row except through a query. Mirrors: omicron DataStore@b848b6d.
import type { ProjectUuid } from '../../sim/kernel/ids.ts'
import type { EpochMillis } from '../types/vmm-runtime-state.ts'
import * as affinity from './affinity-queries.ts'
import * as background from './background-queries.ts'
import * as creating from './instance-create-queries.ts'
import * as instances from './instance-queries.ts'
import * as transitions from './instance-transitions.ts'
import * as migrations from './migration-queries.ts'
import * as provisioning from './provisioning.ts'
import { createReadView, type DbReadView } from './read-views.ts'
import type {
  AffinityGroupRecord,
  AffinityMembershipRecord,
  InstanceProvisioningRecord,
  InstanceRecord,
  MigrationRecord,
  ProjectProvisioningRecord,
  ProvisionedResources,
  SagaRecord,
  SledRecord,
  SledReservationRecord,
  VmmRecord,
} from './records.ts'
import * as reservations from './reservations.ts'
import * as sagas from './saga-log.ts'
import * as sleds from './sled-queries.ts'
import * as startFailures from './start-failure-queries.ts'
import { Tables, type WriteListener } from './tables.ts'
import * as lock from './updater-lock.ts'
import { vmmAndMigrationUpdateRuntime } from './vmm-migration-update.ts'
import * as vmms from './vmm-queries.ts'

export interface DatastoreOptions {
  /** Virtual time (epoch ms) for the columns the database stamps itself (`time_deleted`, ...). */
  readonly now: () => EpochMillis
  /** Called after every committed row write, with a copy of the row; for the trace and invariants. */
  readonly onWrite?: WriteListener
}

/** Every table, copied: what an invariant check or a crash test compares. */
export interface DatastoreSnapshot {
  readonly instances: readonly InstanceRecord[]
  readonly vmms: readonly VmmRecord[]
  readonly migrations: readonly MigrationRecord[]
  readonly sleds: readonly SledRecord[]
  readonly sledReservations: readonly SledReservationRecord[]
  readonly provisioning: {
    readonly fleet: ProvisionedResources
    readonly projects: readonly ProjectProvisioningRecord[]
    readonly instances: readonly InstanceProvisioningRecord[]
  }
  readonly sagas: readonly SagaRecord[]
  readonly affinityGroups: readonly AffinityGroupRecord[]
  readonly affinityMemberships: readonly AffinityMembershipRecord[]
}

/** The arguments of a query after the tables. */
type Args<F> = F extends (t: Tables, ...args: infer A) => unknown ? A : never

export class Datastore {
  readonly #t: Tables

  constructor(options: DatastoreOptions) {
    this.#t = new Tables(options.now, options.onWrite)
  }

  // Instances (instance-queries.ts, instance-transitions.ts).
  instanceInsert(...a: Args<typeof instances.instanceInsert>) { return instances.instanceInsert(this.#t, ...a) }
  instanceGet(...a: Args<typeof instances.instanceGet>) { return instances.instanceGet(this.#t, ...a) }
  instanceGetByName(...a: Args<typeof instances.instanceGetByName>) { return instances.instanceGetByName(this.#t, ...a) }
  instanceList(...a: Args<typeof instances.instanceList>) { return instances.instanceList(this.#t, ...a) }
  instanceFetchWithVmm(...a: Args<typeof instances.instanceFetchWithVmm>) { return instances.instanceFetchWithVmm(this.#t, ...a) }
  instanceFetchAll(...a: Args<typeof instances.instanceFetchAll>) { return instances.instanceFetchAll(this.#t, ...a) }
  instanceUpdateRuntime(...a: Args<typeof instances.instanceUpdateRuntime>) { return instances.instanceUpdateRuntime(this.#t, ...a) }
  instanceSetIntendedState(...a: Args<typeof instances.instanceSetIntendedState>) { return instances.instanceSetIntendedState(this.#t, ...a) }
  instanceSetActiveVmm(...a: Args<typeof transitions.instanceSetActiveVmm>) { return transitions.instanceSetActiveVmm(this.#t, ...a) }
  instanceSetMigrationIds(...a: Args<typeof transitions.instanceSetMigrationIds>) { return transitions.instanceSetMigrationIds(this.#t, ...a) }
  instanceStopFailed(...a: Args<typeof transitions.instanceStopFailed>) { return transitions.instanceStopFailed(this.#t, ...a) }
  instanceMarkDestroyed(...a: Args<typeof transitions.instanceMarkDestroyed>) { return transitions.instanceMarkDestroyed(this.#t, ...a) }
  instanceDeleteCreating(...a: Args<typeof creating.instanceDeleteCreating>) { return creating.instanceDeleteCreating(this.#t, ...a) }
  instanceSetStartFailure(...a: Args<typeof startFailures.instanceSetStartFailure>) { return startFailures.instanceSetStartFailure(this.#t, ...a) }
  instanceClearStartFailure(...a: Args<typeof startFailures.instanceClearStartFailure>) { return startFailures.instanceClearStartFailure(this.#t, ...a) }

  // The instance-updater lock (updater-lock.ts).
  instanceTryLock(...a: Args<typeof lock.instanceTryLock>) { return lock.instanceTryLock(this.#t, ...a) }
  instanceInheritLock(...a: Args<typeof lock.instanceInheritLock>) { return lock.instanceInheritLock(this.#t, ...a) }
  instanceUnlock(...a: Args<typeof lock.instanceUnlock>) { return lock.instanceUnlock(this.#t, ...a) }
  instanceCommitUpdateAndUnlock(...a: Args<typeof lock.instanceCommitUpdateAndUnlock>) { return lock.instanceCommitUpdateAndUnlock(this.#t, ...a) }

  // VMMs (vmm-queries.ts) and the VMM + migration report write (vmm-migration-update.ts).
  vmmInsert(...a: Args<typeof vmms.vmmInsert>) { return vmms.vmmInsert(this.#t, ...a) }
  vmmGet(...a: Args<typeof vmms.vmmGet>) { return vmms.vmmGet(this.#t, ...a) }
  vmmList(...a: Args<typeof vmms.vmmList>) { return vmms.vmmList(this.#t, ...a) }
  vmmUpdateRuntime(...a: Args<typeof vmms.vmmUpdateRuntime>) { return vmms.vmmUpdateRuntime(this.#t, ...a) }
  vmmMarkSagaUnwound(...a: Args<typeof vmms.vmmMarkSagaUnwound>) { return vmms.vmmMarkSagaUnwound(this.#t, ...a) }
  vmmMarkDeleted(...a: Args<typeof vmms.vmmMarkDeleted>) { return vmms.vmmMarkDeleted(this.#t, ...a) }
  vmmAndMigrationUpdateRuntime(...a: Args<typeof vmmAndMigrationUpdateRuntime>) { return vmmAndMigrationUpdateRuntime(this.#t, ...a) }

  // Migrations (migration-queries.ts).
  migrationInsert(...a: Args<typeof migrations.migrationInsert>) { return migrations.migrationInsert(this.#t, ...a) }
  migrationGet(...a: Args<typeof migrations.migrationGet>) { return migrations.migrationGet(this.#t, ...a) }
  migrationList(...a: Args<typeof migrations.migrationList>) { return migrations.migrationList(this.#t, ...a) }
  migrationMarkFailed(...a: Args<typeof migrations.migrationMarkFailed>) { return migrations.migrationMarkFailed(this.#t, ...a) }
  migrationMarkDeleted(...a: Args<typeof migrations.migrationMarkDeleted>) { return migrations.migrationMarkDeleted(this.#t, ...a) }
  migrationMarkDeletedForInstance(...a: Args<typeof migrations.migrationMarkDeletedForInstance>) {
    return migrations.migrationMarkDeletedForInstance(this.#t, ...a)
  }

  // Sleds (sled-queries.ts) and their reservations (reservations.ts).
  sledInsert(...a: Args<typeof sleds.sledInsert>) { return sleds.sledInsert(this.#t, ...a) }
  sledGet(...a: Args<typeof sleds.sledGet>) { return sleds.sledGet(this.#t, ...a) }
  sledGetByName(...a: Args<typeof sleds.sledGetByName>) { return sleds.sledGetByName(this.#t, ...a) }
  sledList(...a: Args<typeof sleds.sledList>) { return sleds.sledList(this.#t, ...a) }
  sledSetPolicy(...a: Args<typeof sleds.sledSetPolicy>) { return sleds.sledSetPolicy(this.#t, ...a) }
  sledReservationInsert(...a: Args<typeof reservations.sledReservationInsert>) { return reservations.sledReservationInsert(this.#t, ...a) }
  sledReservationGet(...a: Args<typeof reservations.sledReservationGet>) { return reservations.sledReservationGet(this.#t, ...a) }
  sledReservationList(...a: Args<typeof reservations.sledReservationList>) { return reservations.sledReservationList(this.#t, ...a) }
  sledReservationSetState(...a: Args<typeof reservations.sledReservationSetState>) { return reservations.sledReservationSetState(this.#t, ...a) }
  sledReservationSwapForMigration(...a: Args<typeof reservations.sledReservationSwapForMigration>) {
    return reservations.sledReservationSwapForMigration(this.#t, ...a)
  }
  sledReservationDelete(...a: Args<typeof reservations.sledReservationDelete>) { return reservations.sledReservationDelete(this.#t, ...a) }
  sledUsage(...a: Args<typeof reservations.sledUsage>) { return reservations.sledUsage(this.#t, ...a) }

  // Affinity and anti-affinity groups and their members (affinity-queries.ts).
  affinityGroupCreate(...a: Args<typeof affinity.affinityGroupCreate>) { return affinity.affinityGroupCreate(this.#t, ...a) }
  affinityGroupGet<K extends AffinityGroupRecord['kind']>(kind: K, id: string) { return affinity.affinityGroupGet(this.#t, kind, id) }
  affinityGroupGetByName<K extends AffinityGroupRecord['kind']>(kind: K, projectId: ProjectUuid, name: string) {
    return affinity.affinityGroupGetByName(this.#t, kind, projectId, name)
  }
  affinityGroupList(...a: Args<typeof affinity.affinityGroupList>) { return affinity.affinityGroupList(this.#t, ...a) }
  affinityGroupMemberList(...a: Args<typeof affinity.affinityGroupMemberList>) { return affinity.affinityGroupMemberList(this.#t, ...a) }
  affinityGroupMemberAdd(...a: Args<typeof affinity.affinityGroupMemberAdd>) { return affinity.affinityGroupMemberAdd(this.#t, ...a) }
  instanceAffinityMembershipsDelete(...a: Args<typeof affinity.instanceAffinityMembershipsDelete>) {
    return affinity.instanceAffinityMembershipsDelete(this.#t, ...a)
  }
  sledAffinityTags(...a: Args<typeof affinity.sledAffinityTags>) { return affinity.sledAffinityTags(this.#t, ...a) }

  // Virtual provisioning (provisioning.ts).
  provisioningAddInstance(...a: Args<typeof provisioning.provisioningAddInstance>) { return provisioning.provisioningAddInstance(this.#t, ...a) }
  provisioningReleaseInstance(...a: Args<typeof provisioning.provisioningReleaseInstance>) {
    return provisioning.provisioningReleaseInstance(this.#t, ...a)
  }
  provisioningRead() { return provisioning.provisioningRead(this.#t) }

  // The saga log (saga-log.ts).
  sagaCreate(...a: Args<typeof sagas.sagaCreate>) { return sagas.sagaCreate(this.#t, ...a) }
  sagaAppendEvent(...a: Args<typeof sagas.sagaAppendEvent>) { return sagas.sagaAppendEvent(this.#t, ...a) }
  sagaFinish(...a: Args<typeof sagas.sagaFinish>) { return sagas.sagaFinish(this.#t, ...a) }
  sagaGet(...a: Args<typeof sagas.sagaGet>) { return sagas.sagaGet(this.#t, ...a) }
  sagaList(...a: Args<typeof sagas.sagaList>) { return sagas.sagaList(this.#t, ...a) }

  // What the background tasks list (background-queries.ts).
  instanceFindByActiveVmmState(...a: Args<typeof background.instanceFindByActiveVmmState>) {
    return background.instanceFindByActiveVmmState(this.#t, ...a)
  }
  instanceFindWithTerminatedMigrations() { return background.instanceFindWithTerminatedMigrations(this.#t) }
  instanceFindReincarnatable(...a: Args<typeof background.instanceFindReincarnatable>) { return background.instanceFindReincarnatable(this.#t, ...a) }
  vmmListAbandoned() { return background.vmmListAbandoned(this.#t) }
  vmmListForWatcher() { return background.vmmListForWatcher(this.#t) }

  /** The read-only views behind `tb.db`; they read the live tables on every call. */
  readView(): DbReadView {
    return createReadView(this.#t)
  }

  /** Every table, copied (deleted rows included), in insertion order. */
  snapshot(): DatastoreSnapshot {
    const t = this.#t
    return {
      instances: instances.instanceList(t, { includeDeleted: true }),
      vmms: vmms.vmmList(t),
      migrations: migrations.migrationList(t),
      sleds: sleds.sledList(t),
      sledReservations: reservations.sledReservationList(t),
      provisioning: provisioning.provisioningRead(t),
      sagas: sagas.sagaList(t),
      affinityGroups: affinity.affinityGroupList(t),
      affinityMemberships: [...t.affinityMemberships.values()].map((m) => ({ ...m })),
    }
  }
}
