// The read-only views behind the public `tb.db` (DESIGN.md §4): the records as omdb shows them,
// deleted rows included, looked up by plain strings. Every call returns fresh copies.
import type { VmmFailureReason } from '../types/vmm-failure-reason.ts'
import type { VmmRecordState } from '../types/vmm-record.ts'
import type { EpochMillis } from '../types/vmm-runtime-state.ts'
import type { InstanceRecordState } from '../types/instance-state.ts'
import type { Generation, MigrationState } from '../../sim/sled-agent/api/index.ts'
import { provisioningRead, type ProvisioningSnapshot } from './provisioning.ts'
import type { InstanceIntendedState, InstanceRecord, MigrationRecord, SagaRecord, SagaState, SledReservationRecord, VmmRecord } from './records.ts'
import type { Tables } from './tables.ts'

/** `tb.db.instance(nameOrId)`. Times are epoch milliseconds of virtual time. */
export interface InstanceDbView {
  readonly id: string
  readonly name: string
  readonly state: InstanceRecordState
  readonly gen: Generation
  readonly activePropolisId: string | null
  readonly targetPropolisId: string | null
  readonly migrationId: string | null
  readonly intendedState: InstanceIntendedState
  readonly updaterId: string | null
  readonly timeLastAutoRestarted: EpochMillis | null
}

/** `tb.db.vmm(propolisId)`. */
export interface VmmDbView {
  readonly id: string
  readonly instanceId: string
  readonly sledId: string
  readonly state: VmmRecordState
  readonly failureReason: VmmFailureReason | null
  readonly gen: Generation
  readonly timeDeleted: EpochMillis | null
}

/** An element of `tb.db.migrations()`. */
export interface MigrationDbView {
  readonly id: string
  readonly instanceId: string
  readonly sourcePropolisId: string
  readonly targetPropolisId: string
  readonly sourceState: MigrationState
  readonly sourceGen: Generation
  readonly targetState: MigrationState
  readonly targetGen: Generation
  readonly timeDeleted: EpochMillis | null
}

/** An element of `tb.db.sagas()`; `failedNode` only for a saga that unwound or is stuck. */
export interface SagaDbView {
  readonly id: string
  readonly name: string
  readonly state: SagaState
  readonly failedNode?: string
}

export interface VmmViewFilter {
  readonly instanceId?: string
  readonly sledId?: string
  readonly state?: VmmRecordState
  /** true: only soft-deleted rows; false: only live rows; absent: both. */
  readonly deleted?: boolean
}

export interface MigrationViewFilter {
  readonly instanceId?: string
  readonly deleted?: boolean
}

export interface SagaViewFilter {
  readonly name?: string
  readonly state?: SagaState
}

/** The shape of `tb.db`. */
export interface DbReadView {
  /** By id, else by name: the live instance with that name, else the last deleted one. */
  instance(nameOrId: string): InstanceDbView | null
  vmm(propolisId: string): VmmDbView | null
  vmms(filter?: VmmViewFilter): VmmDbView[]
  migrations(filter?: MigrationViewFilter): MigrationDbView[]
  sagas(filter?: SagaViewFilter): SagaDbView[]
  /** Every reservation, or those on one sled (by id), in insertion order. */
  sledReservations(sledId?: string): SledReservationRecord[]
  provisioning(): ProvisioningSnapshot
}

export function createReadView(t: Tables): DbReadView {
  return {
    instance: (nameOrId) => {
      const row = t.instances.get(nameOrId) ?? findByName(t, nameOrId)
      return row === undefined ? null : instanceView(row)
    },
    vmm: (propolisId) => {
      const row = t.vmms.get(propolisId)
      return row === undefined ? null : vmmView(row)
    },
    vmms: (filter = {}) =>
      [...t.vmms.values()]
        .filter(
          (row) =>
            (filter.instanceId === undefined || row.instanceId === filter.instanceId) &&
            (filter.sledId === undefined || row.sledId === filter.sledId) &&
            (filter.state === undefined || row.state === filter.state) &&
            (filter.deleted === undefined || (row.timeDeleted !== null) === filter.deleted),
        )
        .map(vmmView),
    migrations: (filter = {}) =>
      [...t.migrations.values()]
        .filter(
          (row) =>
            (filter.instanceId === undefined || row.instanceId === filter.instanceId) &&
            (filter.deleted === undefined || (row.timeDeleted !== null) === filter.deleted),
        )
        .map(migrationView),
    sagas: (filter = {}) =>
      [...t.sagas.values()]
        .filter((row) => (filter.name === undefined || row.name === filter.name) && (filter.state === undefined || row.state === filter.state))
        .map(sagaView),
    sledReservations: (sledId) =>
      [...t.reservations.values()].filter((row) => sledId === undefined || row.sledId === sledId).map((row) => ({ ...row })),
    provisioning: () => provisioningRead(t),
  }
}

function findByName(t: Tables, name: string): InstanceRecord | undefined {
  let deleted: InstanceRecord | undefined
  for (const row of t.instances.values()) {
    if (row.name !== name) continue
    if (row.timeDeleted === null) return row
    deleted = row // insertion order: the last one seen is the most recently created
  }
  return deleted
}

export function instanceView(row: InstanceRecord): InstanceDbView {
  return {
    id: row.id,
    name: row.name,
    state: row.state,
    gen: row.gen,
    activePropolisId: row.activePropolisId,
    targetPropolisId: row.targetPropolisId,
    migrationId: row.migrationId,
    intendedState: row.intendedState,
    updaterId: row.updaterId,
    timeLastAutoRestarted: row.timeLastAutoRestarted,
  }
}

export function vmmView(row: VmmRecord): VmmDbView {
  return {
    id: row.id,
    instanceId: row.instanceId,
    sledId: row.sledId,
    state: row.state,
    failureReason: row.failureReason,
    gen: row.gen,
    timeDeleted: row.timeDeleted,
  }
}

export function sagaView(row: SagaRecord): SagaDbView {
  const view = { id: row.id, name: row.name, state: row.state }
  return row.failedNode === null ? view : { ...view, failedNode: row.failedNode }
}

export function migrationView(row: MigrationRecord): MigrationDbView {
  return {
    id: row.id,
    instanceId: row.instanceId,
    sourcePropolisId: row.sourcePropolisId,
    targetPropolisId: row.targetPropolisId,
    sourceState: row.sourceState,
    sourceGen: row.sourceGen,
    targetState: row.targetState,
    targetGen: row.targetGen,
    timeDeleted: row.timeDeleted,
  }
}
