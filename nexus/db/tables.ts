// The in-memory tables and the one write path into them: every row is checked against the schema's
// constraints, frozen, stored, and reported to the optional write listener. Queries read rows from
// here and hand out copies; nothing outside `nexus/db/` ever holds a stored row.
import type { EpochMillis } from '../types/vmm-runtime-state.ts'
import { checkInstanceRow, checkProvisioned, checkReservationRow, checkVmmRow, RecordConstraintViolation } from './constraints.ts'
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

export type WriteOp = 'insert' | 'update' | 'delete'

/** One committed row write, as the trace and the invariant checker see it (a copy of the row after). */
export type RecordWrite =
  | { readonly table: 'instance'; readonly op: WriteOp; readonly row: InstanceRecord }
  | { readonly table: 'vmm'; readonly op: WriteOp; readonly row: VmmRecord }
  | { readonly table: 'migration'; readonly op: WriteOp; readonly row: MigrationRecord }
  | { readonly table: 'sled'; readonly op: WriteOp; readonly row: SledRecord }
  | { readonly table: 'sled_resource_vmm'; readonly op: WriteOp; readonly row: SledReservationRecord }
  | { readonly table: 'virtual_provisioning_resource'; readonly op: WriteOp; readonly row: InstanceProvisioningRecord }
  | { readonly table: 'virtual_provisioning_collection'; readonly op: WriteOp; readonly row: ProjectProvisioningRecord | FleetProvisioningRow }
  | { readonly table: 'saga'; readonly op: WriteOp; readonly row: SagaRecord }
  | { readonly table: 'affinity_group' | 'anti_affinity_group'; readonly op: WriteOp; readonly row: AffinityGroupRecord }
  | {
      readonly table: 'affinity_group_instance_membership' | 'anti_affinity_group_instance_membership'
      readonly op: WriteOp
      readonly row: AffinityMembershipRecord
    }

/** The fleet-wide collection row (the project rows carry a project id instead). */
export interface FleetProvisioningRow extends ProvisionedResources {
  readonly collection: 'fleet'
}

export type WriteListener = (write: RecordWrite) => void

const ZERO: ProvisionedResources = Object.freeze({ cpus: 0, ram: 0 })

export class Tables {
  // Queries read these maps directly but write only through the `put*`/`delete*` methods below.
  // Keyed by plain strings so that a lookup with an unbranded id (from the public read view) needs
  // no cast; every key written is a branded id.
  readonly instances = new Map<string, InstanceRecord>()
  readonly vmms = new Map<string, VmmRecord>()
  readonly migrations = new Map<string, MigrationRecord>()
  readonly sleds = new Map<string, SledRecord>()
  readonly reservations = new Map<string, SledReservationRecord>()
  readonly instanceProvisioning = new Map<string, InstanceProvisioningRecord>()
  readonly projectProvisioning = new Map<string, ProjectProvisioningRecord>()
  readonly sagas = new Map<string, SagaRecord>()
  /** Both group tables, by id (the kinds' ids never collide: each is a fresh UUID). */
  readonly affinityGroups = new Map<string, AffinityGroupRecord>()
  /** Both membership tables, by `membershipKey`. */
  readonly affinityMemberships = new Map<string, AffinityMembershipRecord>()
  #fleet: ProvisionedResources = ZERO
  // Indexes, so that lookups by name and per-sled sums stay cheap with thousands of rows.
  readonly #liveInstanceByName = new Map<string, string>()
  readonly #sledByName = new Map<string, string>()
  readonly #reservationsBySled = new Map<string, Set<string>>()
  /** The sums over `#reservationsBySled`, kept as rows come and go (placement reads every sled's). */
  readonly #usageBySled = new Map<string, { hardwareThreads: number; reservoirRam: number }>()
  readonly #reservationsByInstance = new Map<string, Set<string>>()
  readonly #liveAffinityGroupByName = new Map<string, string>()
  readonly #membershipsByInstance = new Map<string, Set<string>>()
  readonly #membershipsByGroup = new Map<string, Set<string>>()
  readonly now: () => EpochMillis
  readonly #listener: WriteListener | undefined

  constructor(now: () => EpochMillis, listener?: WriteListener) {
    this.now = now
    this.#listener = listener
  }

  get fleetProvisioning(): ProvisionedResources {
    return this.#fleet
  }

  putInstance(row: InstanceRecord, op: 'insert' | 'update'): InstanceRecord {
    checkInstanceRow(row)
    const nameKey = instanceNameKey(row.projectId, row.name)
    const holder = this.#liveInstanceByName.get(nameKey)
    if (row.timeDeleted === null && holder !== undefined && holder !== row.id) {
      throw new RecordConstraintViolation('instance', row.id, 'unique_name', `name '${row.name}' is taken by instance ${holder}`)
    }
    const before = this.instances.get(row.id)
    if (before !== undefined && this.#liveInstanceByName.get(instanceNameKey(before.projectId, before.name)) === row.id) {
      this.#liveInstanceByName.delete(instanceNameKey(before.projectId, before.name))
    }
    if (row.timeDeleted === null) this.#liveInstanceByName.set(nameKey, row.id)
    const stored = store(this.instances, row.id, row)
    this.#listener?.({ table: 'instance', op, row: { ...stored } })
    return stored
  }

  /** The id of the live instance with this name in the project, if any. */
  liveInstanceIdByName(projectId: string, name: string): string | undefined {
    return this.#liveInstanceByName.get(instanceNameKey(projectId, name))
  }

  putVmm(row: VmmRecord, op: 'insert' | 'update'): VmmRecord {
    checkVmmRow(row)
    const stored = store(this.vmms, row.id, row)
    this.#listener?.({ table: 'vmm', op, row: { ...stored } })
    return stored
  }

  putMigration(row: MigrationRecord, op: 'insert' | 'update'): MigrationRecord {
    const stored = store(this.migrations, row.id, row)
    this.#listener?.({ table: 'migration', op, row: { ...stored } })
    return stored
  }

  putSled(row: SledRecord, op: 'insert' | 'update'): SledRecord {
    const holder = this.#sledByName.get(row.name)
    if (holder !== undefined && holder !== row.id) {
      throw new RecordConstraintViolation('sled', row.id, 'unique_name', `name '${row.name}' is taken by sled ${holder}`)
    }
    const before = this.sleds.get(row.id)
    if (before !== undefined) this.#sledByName.delete(before.name)
    this.#sledByName.set(row.name, row.id)
    const stored = store(this.sleds, row.id, row)
    this.#listener?.({ table: 'sled', op, row: { ...stored } })
    return stored
  }

  /** The sled's id by name, if any. */
  sledIdByName(name: string): string | undefined {
    return this.#sledByName.get(name)
  }

  putReservation(row: SledReservationRecord, op: 'insert' | 'update'): SledReservationRecord {
    checkReservationRow(row, this.reservationsOfInstance(row.instanceId))
    const before = this.reservations.get(row.id)
    if (before !== undefined) this.#unindexReservation(before)
    const stored = store(this.reservations, row.id, row)
    addToIndex(this.#reservationsBySled, row.sledId, row.id)
    addToIndex(this.#reservationsByInstance, row.instanceId, row.id)
    this.#addUsage(row, 1)
    this.#listener?.({ table: 'sled_resource_vmm', op, row: { ...stored } })
    return stored
  }

  deleteReservation(row: SledReservationRecord): void {
    this.reservations.delete(row.id)
    this.#unindexReservation(row)
    this.#listener?.({ table: 'sled_resource_vmm', op: 'delete', row: { ...row } })
  }

  /** The reservations held on a sled (stored rows: copy before handing out). */
  reservationsOfSled(sledId: string): SledReservationRecord[] {
    return this.#reservationRows(this.#reservationsBySled.get(sledId))
  }

  /** What the reservations on a sled hold in all (a fresh object). */
  sledUsage(sledId: string): { hardwareThreads: number; reservoirRam: number } {
    const usage = this.#usageBySled.get(sledId)
    return usage === undefined ? { hardwareThreads: 0, reservoirRam: 0 } : { ...usage }
  }

  /** The reservations held for an instance (stored rows: copy before handing out). */
  reservationsOfInstance(instanceId: string): SledReservationRecord[] {
    return this.#reservationRows(this.#reservationsByInstance.get(instanceId))
  }

  #reservationRows(ids: ReadonlySet<string> | undefined): SledReservationRecord[] {
    const rows: SledReservationRecord[] = []
    for (const id of ids ?? []) {
      const row = this.reservations.get(id)
      if (row !== undefined) rows.push(row)
    }
    return rows
  }

  #unindexReservation(row: SledReservationRecord): void {
    if (this.#reservationsBySled.get(row.sledId)?.delete(row.id) === true) this.#addUsage(row, -1)
    this.#reservationsByInstance.get(row.instanceId)?.delete(row.id)
  }

  #addUsage(row: SledReservationRecord, sign: 1 | -1): void {
    const usage = this.#usageBySled.get(row.sledId) ?? { hardwareThreads: 0, reservoirRam: 0 }
    usage.hardwareThreads += sign * row.hardwareThreads
    usage.reservoirRam += sign * row.reservoirRam
    this.#usageBySled.set(row.sledId, usage)
  }

  putInstanceProvisioning(row: InstanceProvisioningRecord, op: 'insert' | 'delete'): void {
    checkProvisioned('virtual_provisioning_resource', row.instanceId, row)
    if (op === 'insert') store(this.instanceProvisioning, row.instanceId, row)
    else this.instanceProvisioning.delete(row.instanceId)
    this.#listener?.({ table: 'virtual_provisioning_resource', op, row: { ...row } })
  }

  /** Adds `delta` (which may be negative) to a project's collection and to the fleet's. */
  adjustCollections(project: ProjectProvisioningRecord['projectId'], delta: ProvisionedResources): void {
    const before = this.projectProvisioning.get(project) ?? { projectId: project, ...ZERO }
    const projectRow: ProjectProvisioningRecord = { projectId: project, cpus: before.cpus + delta.cpus, ram: before.ram + delta.ram }
    const fleetRow: FleetProvisioningRow = { collection: 'fleet', cpus: this.#fleet.cpus + delta.cpus, ram: this.#fleet.ram + delta.ram }
    // Check both before writing either, so a violation leaves the collections as they were.
    checkProvisioned('virtual_provisioning_collection', project, projectRow)
    checkProvisioned('virtual_provisioning_collection', 'fleet', fleetRow)
    const op = this.projectProvisioning.has(project) ? 'update' : 'insert'
    store(this.projectProvisioning, project, projectRow)
    this.#fleet = Object.freeze({ cpus: fleetRow.cpus, ram: fleetRow.ram })
    this.#listener?.({ table: 'virtual_provisioning_collection', op, row: { ...projectRow } })
    this.#listener?.({ table: 'virtual_provisioning_collection', op: 'update', row: { ...fleetRow } })
  }

  /** Stores a group; a second live group of its kind with its name in the project is a constraint violation. */
  putAffinityGroup(row: AffinityGroupRecord, op: 'insert' | 'update'): AffinityGroupRecord {
    const table = row.kind === 'affinity' ? 'affinity_group' : 'anti_affinity_group'
    const nameKey = affinityGroupNameKey(row)
    const holder = this.#liveAffinityGroupByName.get(nameKey)
    if (row.timeDeleted === null && holder !== undefined && holder !== row.id) {
      throw new RecordConstraintViolation(table, row.id, 'unique_name', `name '${row.name}' is taken by group ${holder}`)
    }
    if (row.timeDeleted === null) this.#liveAffinityGroupByName.set(nameKey, row.id)
    else if (holder === row.id) this.#liveAffinityGroupByName.delete(nameKey)
    const stored = store(this.affinityGroups, row.id, row)
    this.#listener?.({ table, op, row: { ...stored } })
    return stored
  }

  /** The id of the live group of this kind with this name in the project, if any. */
  liveAffinityGroupIdByName(kind: AffinityGroupRecord['kind'], projectId: string, name: string): string | undefined {
    return this.#liveAffinityGroupByName.get(`${kind}/${projectId}/${name}`)
  }

  putAffinityMembership(row: AffinityMembershipRecord): AffinityMembershipRecord {
    const key = membershipKey(row)
    const stored = store(this.affinityMemberships, key, row)
    addToIndex(this.#membershipsByInstance, row.instanceId, key)
    addToIndex(this.#membershipsByGroup, row.groupId, key)
    this.#listener?.({ table: membershipTable(row), op: 'insert', row: { ...stored } })
    return stored
  }

  deleteAffinityMembership(row: AffinityMembershipRecord): void {
    const key = membershipKey(row)
    this.affinityMemberships.delete(key)
    this.#membershipsByInstance.get(row.instanceId)?.delete(key)
    this.#membershipsByGroup.get(row.groupId)?.delete(key)
    this.#listener?.({ table: membershipTable(row), op: 'delete', row: { ...row } })
  }

  /** The memberships of an instance, both kinds (stored rows: copy before handing out). */
  membershipsOfInstance(instanceId: string): AffinityMembershipRecord[] {
    return this.#membershipRows(this.#membershipsByInstance.get(instanceId))
  }

  /** The memberships of a group (stored rows: copy before handing out). */
  membershipsOfGroup(groupId: string): AffinityMembershipRecord[] {
    return this.#membershipRows(this.#membershipsByGroup.get(groupId))
  }

  #membershipRows(keys: ReadonlySet<string> | undefined): AffinityMembershipRecord[] {
    const rows: AffinityMembershipRecord[] = []
    for (const key of keys ?? []) {
      const row = this.affinityMemberships.get(key)
      if (row !== undefined) rows.push(row)
    }
    return rows
  }

  /** Stores a saga row; its params, outputs and events must already be private, frozen JSON. */
  putSaga(row: SagaRecord, op: 'insert' | 'update'): SagaRecord {
    const stored = store(this.sagas, row.id, row)
    this.#listener?.({ table: 'saga', op, row: stored })
    return stored
  }
}

function affinityGroupNameKey(row: AffinityGroupRecord): string {
  return `${row.kind}/${row.projectId}/${row.name}`
}

/** A membership's key: its group and instance (the tables' primary key). */
export function membershipKey(row: Pick<AffinityMembershipRecord, 'groupId' | 'instanceId'>): string {
  return `${row.groupId}/${row.instanceId}`
}

function membershipTable(row: AffinityMembershipRecord): 'affinity_group_instance_membership' | 'anti_affinity_group_instance_membership' {
  return row.kind === 'affinity' ? 'affinity_group_instance_membership' : 'anti_affinity_group_instance_membership'
}

function instanceNameKey(projectId: string, name: string): string {
  return `${projectId}/${name}`
}

function addToIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key)
  if (ids === undefined) index.set(key, new Set([id]))
  else ids.add(id)
}

function store<R extends object>(table: Map<string, R>, key: string, row: R): R {
  const frozen = Object.freeze({ ...row })
  table.set(key, frozen)
  return frozen
}
