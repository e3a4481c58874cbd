// Virtual provisioning: one resource row per running instance (cpus, ram) and the collections that
// sum them per project and for the fleet. Both writes are idempotent per instance, so a replayed
// start or a double release can never count an instance twice or drive a counter negative (#5042).
// Mirrors: omicron nexus/db-queries/src/db/queries/virtual_provisioning_collection_update.rs@b848b6d.
// Simplification: no silo collection (the testbed has one silo) and no quotas (never 507 here).
import type { InstanceUuid, ProjectUuid } from '../../sim/kernel/ids.ts'
import type { InstanceProvisioningRecord, ProjectProvisioningRecord, ProvisionedResources } from './records.ts'
import type { Tables } from './tables.ts'

export interface ProvisioningParams {
  readonly instanceId: InstanceUuid
  readonly projectId: ProjectUuid
  /** The instance's ncpus. */
  readonly cpus: number
  /** The instance's memory, bytes. */
  readonly ram: number
}

export type ProvisioningAddOutcome =
  | { readonly kind: 'added'; readonly resource: InstanceProvisioningRecord }
  /** The instance already holds provisioning: nothing changed (the existing row is returned). */
  | { readonly kind: 'already_added'; readonly resource: InstanceProvisioningRecord }

/** The start saga's ADD_VIRTUAL_RESOURCES: inserts the instance's row and adds it to its collections. */
export function provisioningAddInstance(t: Tables, params: ProvisioningParams): ProvisioningAddOutcome {
  const existing = t.instanceProvisioning.get(params.instanceId)
  if (existing !== undefined) return { kind: 'already_added', resource: { ...existing } }
  const row: InstanceProvisioningRecord = { instanceId: params.instanceId, projectId: params.projectId, cpus: params.cpus, ram: params.ram }
  t.putInstanceProvisioning(row, 'insert')
  t.adjustCollections(row.projectId, { cpus: row.cpus, ram: row.ram })
  return { kind: 'added', resource: { ...row } }
}

export type ProvisioningReleaseOutcome =
  | { readonly kind: 'released'; readonly resource: InstanceProvisioningRecord }
  /** The instance holds no provisioning (never added, or already released): nothing changed. */
  | { readonly kind: 'not_present' }

/** Start-saga undo and the update saga: deletes the instance's row and subtracts exactly what it held. */
export function provisioningReleaseInstance(t: Tables, instanceId: InstanceUuid): ProvisioningReleaseOutcome {
  const row = t.instanceProvisioning.get(instanceId)
  if (row === undefined) return { kind: 'not_present' }
  // Collections first: their check throws before anything is written if a count would go negative.
  t.adjustCollections(row.projectId, { cpus: -row.cpus, ram: -row.ram })
  t.putInstanceProvisioning(row, 'delete')
  return { kind: 'released', resource: { ...row } }
}

/** Every provisioning row and counter, copied. */
export interface ProvisioningSnapshot {
  readonly fleet: ProvisionedResources
  /** Projects that ever held provisioning, in first-use order (a project at zero stays listed). */
  readonly projects: readonly ProjectProvisioningRecord[]
  /** Instances holding provisioning now, in the order they were added. */
  readonly instances: readonly InstanceProvisioningRecord[]
}

export function provisioningRead(t: Tables): ProvisioningSnapshot {
  return {
    fleet: { ...t.fleetProvisioning },
    projects: [...t.projectProvisioning.values()].map((row) => ({ ...row })),
    instances: [...t.instanceProvisioning.values()].map((row) => ({ ...row })),
  }
}
