// Per-write checks of one committed row against the schema's constraints (constraints.ts): a second
// line behind the datastore, which throws on bad rows, for rows that bypass it. Each write costs
// O(1): the unique index on reservations is checked against the checker's own per-instance index.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import {
  checkInstanceRow,
  checkProvisioned,
  checkVmmRow,
  RecordConstraintViolation,
  reservationCollision,
  type TableName,
} from '../../nexus/db/constraints.ts'
import type { ProvisionedResources, SledReservationRecord } from '../../nexus/db/records.ts'
import type { RecordWrite } from '../../nexus/db/tables.ts'
import type { ReportViolation } from './violation-log.ts'
import type { InvariantName } from './violation.ts'

export class RowChecks {
  readonly #report: ReportViolation
  /** Live reservations by id, and their ids by instance, as the writes left them. */
  readonly #reservations = new Map<string, SledReservationRecord>()
  readonly #reservationsByInstance = new Map<string, Set<string>>()

  constructor(report: ReportViolation) {
    this.#report = report
  }

  check(write: RecordWrite): void {
    switch (write.table) {
      case 'instance':
        this.#constraint('record_constraints', `instance ${write.row.id}`, () => checkInstanceRow(write.row))
        return
      case 'vmm':
        this.#constraint('record_constraints', `vmm ${write.row.id}`, () => checkVmmRow(write.row))
        return
      case 'sled_resource_vmm':
        this.#reservation(write.op, write.row)
        return
      case 'virtual_provisioning_resource':
        // A deleted resource row carries what it held, which was checked when it was inserted.
        if (write.op !== 'delete') this.#nonNegative(write.table, `instance ${write.row.instanceId}`, write.row)
        return
      case 'virtual_provisioning_collection':
        this.#nonNegative(write.table, 'projectId' in write.row ? `project ${write.row.projectId}` : 'fleet', write.row)
        return
      // No constraint of the schema is about a single migration, sled or saga row.
      case 'migration':
      case 'sled':
      case 'saga':
      // Nor about affinity groups and their members (the unique name is the datastore's own check).
      case 'affinity_group':
      case 'anti_affinity_group':
      case 'affinity_group_instance_membership':
      case 'anti_affinity_group_instance_membership':
        return
      default:
        return assertNever(write, 'record write')
    }
  }

  #constraint(invariant: InvariantName, subject: string, check: () => void): void {
    try {
      check()
    } catch (error) {
      // The datastore's own checks throw; only their verdict is wanted here.
      if (!(error instanceof RecordConstraintViolation)) throw error
      this.#report(invariant, subject, `the row breaks ${error.constraint}: ${error.message}`)
    }
  }

  /** Unique index `single_vmm_reservation_per_state`: one live reservation of each kind per instance. */
  #reservation(op: RecordWrite['op'], row: SledReservationRecord): void {
    const ids = this.#reservationsByInstance.get(row.instanceId)
    if (op === 'delete') {
      this.#reservations.delete(row.id)
      ids?.delete(row.id)
      if (ids?.size === 0) this.#reservationsByInstance.delete(row.instanceId)
      return
    }
    const siblings: SledReservationRecord[] = []
    for (const id of ids ?? []) {
      const sibling = this.#reservations.get(id)
      if (sibling !== undefined) siblings.push(sibling)
    }
    const other = reservationCollision(row, siblings)
    if (other !== null) {
      const message = `the instance holds two '${row.state}' reservations (${other.id} and ${row.id}); single_vmm_reservation_per_state allows one`
      this.#report('record_constraints', `instance ${row.instanceId}`, message)
    }
    this.#reservations.set(row.id, row)
    if (ids === undefined) this.#reservationsByInstance.set(row.instanceId, new Set([row.id]))
    else ids.add(row.id)
  }

  /** Provisioned cpus and ram never go negative, in a resource row or a collection. */
  #nonNegative(table: TableName, subject: string, resources: ProvisionedResources): void {
    this.#constraint('provisioning_consistent', subject, () => checkProvisioned(table, subject, resources))
  }
}
