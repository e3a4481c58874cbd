// The schema's constraints, checked on every write before a row is stored. A violation is a
// programmer error and throws, naming the table, the row and the constraint; the one violation that
// placement expects (a second reservation of a kind) is pre-checked by its query and returned.
// Mirrors: omicron schema/crdb/dbinit.sql@b848b6d (CHECKs and unique indexes).
import { RecordConstraintError } from '../types/vmm-record.ts'
import type { InstanceRecord, ProvisionedResources, SledReservationRecord, VmmRecord } from './records.ts'

export const TABLE_NAMES = [
  'instance',
  'vmm',
  'migration',
  'sled',
  'sled_resource_vmm',
  'virtual_provisioning_resource',
  'virtual_provisioning_collection',
  'saga',
  'affinity_group',
  'anti_affinity_group',
  'affinity_group_instance_membership',
  'anti_affinity_group_instance_membership',
] as const
export type TableName = (typeof TABLE_NAMES)[number]

export const CONSTRAINT_NAMES = [
  'vmm_iff_active_propolis',
  'failure_reason_iff_failed',
  'single_vmm_reservation_per_state',
  'non_negative_provisioning',
  'unique_name',
] as const
export type ConstraintName = (typeof CONSTRAINT_NAMES)[number]

/** A `RecordConstraintError` that also says where: table, row id and constraint name. */
export class RecordConstraintViolation extends RecordConstraintError {
  readonly table: TableName
  readonly rowId: string
  readonly constraint: ConstraintName

  constructor(table: TableName, rowId: string, constraint: ConstraintName, detail: string) {
    super(`write ${table} failed: ${detail} (${constraint}) (${table} ${rowId})`)
    this.table = table
    this.rowId = rowId
    this.constraint = constraint
  }
}

/** CHECK `vmm_iff_active_propolis`: `state = 'vmm'` exactly when `active_propolis_id` is set. */
export function checkInstanceRow(row: InstanceRecord): void {
  if ((row.state === 'vmm') !== (row.activePropolisId !== null)) {
    const detail =
      row.state === 'vmm' ? "state 'vmm' without an active propolis id" : `state '${row.state}' with active propolis id ${row.activePropolisId}`
    throw new RecordConstraintViolation('instance', row.id, 'vmm_iff_active_propolis', detail)
  }
}

/** CHECK `failure_reason_iff_failed`: `state = 'failed'` exactly when `failure_reason` is set. */
export function checkVmmRow(row: VmmRecord): void {
  if ((row.state === 'failed') !== (row.failureReason !== null)) {
    const detail = row.state === 'failed' ? "state 'failed' without a failure reason" : `state '${row.state}' with failure reason '${row.failureReason}'`
    throw new RecordConstraintViolation('vmm', row.id, 'failure_reason_iff_failed', detail)
  }
}

/**
 * Unique index `single_vmm_reservation_per_state` on `(instance_id, state) WHERE state !=
 * 'tombstoned'`: the other reservation `row` would collide with, if any.
 */
export function reservationCollision(row: SledReservationRecord, all: Iterable<SledReservationRecord>): SledReservationRecord | null {
  if (row.state === 'tombstoned') return null
  for (const other of all) {
    if (other.id !== row.id && other.instanceId === row.instanceId && other.state === row.state) return other
  }
  return null
}

export function checkReservationRow(row: SledReservationRecord, all: Iterable<SledReservationRecord>): void {
  const other = reservationCollision(row, all)
  if (other !== null) {
    const detail = `instance ${row.instanceId} already has a '${row.state}' reservation (${other.id})`
    throw new RecordConstraintViolation('sled_resource_vmm', row.id, 'single_vmm_reservation_per_state', detail)
  }
}

/** Provisioned cpus and ram are never negative, in a resource row or in any collection. */
export function checkProvisioned(table: TableName, rowId: string, resources: ProvisionedResources): void {
  if (resources.cpus < 0 || resources.ram < 0 || !Number.isFinite(resources.cpus) || !Number.isFinite(resources.ram)) {
    const detail = `provisioned cpus ${resources.cpus} and ram ${resources.ram} must be non-negative`
    throw new RecordConstraintViolation(table, rowId, 'non_negative_provisioning', detail)
  }
}
