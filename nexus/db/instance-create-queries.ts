// The instance-create saga's own delete: its undo removes a row that never left `creating`, which
// the ordinary delete refuses. Mirrors: omicron nexus/db-queries/src/db/datastore/instance.rs@b848b6d
// (`project_delete_instance_in_states` with Creating added to NoVmm and Failed).
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import { instanceAffinityMembershipsDelete } from './affinity-queries.ts'
import { DatastoreError } from './datastore-error.ts'
import type { InstanceRecord } from './records.ts'
import type { Tables } from './tables.ts'

export type DeleteCreatingOutcome =
  | { readonly kind: 'destroyed'; readonly instance: InstanceRecord }
  /** Missing or already deleted: an undo run again has nothing left to do. */
  | { readonly kind: 'not_found' }

/**
 * Marks the instance destroyed (and deleted) if it is `creating`, `no_vmm` or `failed` with no active
 * VMM, and drops its group memberships; anything else is a bug in the caller, as omicron's query
 * errors. The generation is not bumped.
 */
export function instanceDeleteCreating(t: Tables, instanceId: InstanceUuid): DeleteCreatingOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  if (row.activePropolisId !== null || !(row.state === 'creating' || row.state === 'no_vmm' || row.state === 'failed')) {
    throw new DatastoreError('internal', `delete of a creating instance failed: instance is '${row.state}' (instance ${instanceId})`)
  }
  const destroyed = t.putInstance({ ...row, state: 'destroyed', timeDeleted: t.now() }, 'update')
  // As `project_delete_instance_in_states`: the memberships the create saga added go with the record.
  instanceAffinityMembershipsDelete(t, instanceId)
  return { kind: 'destroyed', instance: { ...destroyed } }
}
