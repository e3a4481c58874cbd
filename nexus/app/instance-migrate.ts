// `instanceMigrate`: Nexus's entry point for an operator's migration (the lockstep API's
// `instance_migrate`). It admits the migration from the instance record and its active VMM, runs
// instance-migrate to its end and answers with the instance re-read.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`instance_migrate`).
import type { InstanceUuid, ShortId, SledUuid } from '../../sim/kernel/ids.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceAndActiveVmm } from '../db/instance-queries.ts'
import { instanceMigrateSaga } from '../sagas/instance-migrate.ts'
import type { NexusSagaServices } from '../sagas/saga-services.ts'
import type { SagaStarter } from '../sagas/saga-types.ts'
import { conflict, internalError, invalidRequest, objectNotFound, type NexusApiError } from './errors.ts'

/** 400 when there is no active VMM or its record is not exactly `running`. */
export const MIGRATE_NOT_RUNNING_MESSAGE = 'instance must be running before it can migrate'
/** 400 when the active VMM already lives on the destination. */
export const MIGRATE_SAME_SLED_MESSAGE = 'instance is already running on destination sled'
/** 409 when the instance has a migration id. */
export const MIGRATE_ALREADY_MIGRATING_MESSAGE = 'instance is already migrating'

export interface InstanceMigrateDeps {
  readonly db: Datastore
  /** Runs the saga (the Nexus's saga executor). */
  readonly sagas: SagaStarter<NexusSagaServices>
}

/** What an operator asks for (omicron's `InstanceMigrateRequest`). */
export interface InstanceMigrateRequest {
  readonly dstSledId: SledUuid
}

export interface InstanceMigrateResult {
  readonly sagaId: ShortId
  /** The instance after the saga: still on its source, `migrating`, until the target reports. */
  readonly state: InstanceAndActiveVmm
}

/**
 * Migrates the instance to `dstSledId`. Throws the `NexusApiError` a caller sees: 404 for a missing
 * instance, the admission's 400/409, or the error of the saga node that failed (507 from placement
 * when the destination is not in service or full, 409 "another migration is already in progress"
 * for a lost race, a sled-agent error mapped with the generic table).
 */
// Simplification: no local-storage disks exist, so omicron's first refusal ("cannot migrate
// instance … as it uses local storage") never applies; nor are the VPC-route and multicast
// reconcilers activated after the saga (the testbed has neither).
export async function instanceMigrate(deps: InstanceMigrateDeps, instanceId: InstanceUuid, request: InstanceMigrateRequest): Promise<InstanceMigrateResult> {
  const { db } = deps
  const found = db.instanceFetchWithVmm(instanceId)
  if (found === null) throw objectNotFound('instance', { id: instanceId })
  const refusal = migrateRefusal(found, request.dstSledId)
  if (refusal !== null) throw refusal
  const { instance, vmm } = found
  if (vmm === null) throw internalError('migrate admission let an instance without an active VMM through')
  const outcome = await deps.sagas.run(instanceMigrateSaga, { instance, srcVmm: vmm, dstSledId: request.dstSledId })
  if (outcome.kind !== 'succeeded') throw outcome.error.apiError ?? internalError(outcome.error.message)
  const after = db.instanceFetchWithVmm(instanceId)
  if (after === null) throw objectNotFound('instance', { id: instanceId })
  return { sagaId: outcome.sagaId, state: after }
}

/**
 * Omicron's checks, in its order: the active VMM's record must be exactly `running` (not merely the
 * effective state), the destination must be another sled, and no migration id may be set. Whether
 * the destination is in service is placement's question, inside the saga.
 */
export function migrateRefusal(found: InstanceAndActiveVmm, dstSledId: SledUuid): NexusApiError | null {
  const { instance, vmm } = found
  if (vmm === null || vmm.state !== 'running') return invalidRequest(MIGRATE_NOT_RUNNING_MESSAGE)
  if (vmm.sledId === dstSledId) return invalidRequest(MIGRATE_SAME_SLED_MESSAGE)
  if (instance.migrationId !== null) return conflict(MIGRATE_ALREADY_MIGRATING_MESSAGE)
  return null
}
