// The instance-delete saga: mark the instance destroyed (only from no_vmm or failed with no active
// VMM) and soft-delete its migrations. No node has an undo: a delete that got past its first node
// is finished by the remaining ones, and a missing instance counts as deleted.
// Mirrors: omicron nexus/src/app/sagas/instance_delete.rs@b848b6d.
// Simplification: the NAT, NIC, external IP, subnet, multicast, affinity and SSH key nodes are
// left out; the testbed has none of those resources.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import { invalidRequest } from '../app/errors.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaDef } from './saga-types.ts'

export interface InstanceDeleteParams {
  /** The instance to delete; its intent was set to destroyed before the saga began. */
  readonly instanceId: InstanceUuid
}

interface InstanceDeleteOutputs {
  readonly 'delete-record': boolean
  readonly 'mark-migrations-deleted': number
}

type Context = SagaContext<InstanceDeleteParams, InstanceDeleteOutputs, NexusSagaServices>

export const instanceDeleteSaga: SagaDef<InstanceDeleteParams, InstanceDeleteOutputs, NexusSagaServices> = {
  name: 'instance_delete',
  instanceOf: (params) => params.instanceId,
  nodes: [
    // No undo: once the record is destroyed nothing brings it back (omicron has none either).
    { name: 'delete-record', action: deleteRecord, undo: null },
    // No undo: soft-deleting the migrations of a destroyed instance is idempotent cleanup.
    { name: 'mark-migrations-deleted', action: markMigrationsDeleted, undo: null },
  ],
}

/** True when this run destroyed the record, false when it was already gone. */
async function deleteRecord(ctx: Context): Promise<boolean> {
  const outcome = ctx.services.db.instanceMarkDestroyed(ctx.params.instanceId)
  switch (outcome.kind) {
    case 'destroyed':
      return true
    // Idempotent: a replayed node, or an instance someone else deleted, is fine.
    case 'not_found':
      return false
    case 'has_active_vmm':
    case 'wrong_state':
      throw invalidRequest(outcome.message)
    default:
      return assertNever(outcome, 'instance delete outcome')
  }
}

async function markMigrationsDeleted(ctx: Context): Promise<number> {
  return ctx.services.db.migrationMarkDeletedForInstance(ctx.params.instanceId)
}
