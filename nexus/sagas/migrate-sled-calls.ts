// The instance-migrate saga's sled-agent calls: register the target VMM on the destination sled (in
// `migrating`, with the migration id), unregister it on unwind, and ask it to migrate in from the
// source. Responses are written back through the intake; errors map with the generic table.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`instance_ensure_registered` with
// `InstanceRegisterReason::Migrate`, `instance_ensure_unregistered`, `instance_request_state`).
import type { InstanceEnsureBodyInput } from '../../sim/sled-agent/api/index.ts'
import { stateChangeAction } from '../app/instance-admission.ts'
import { externalErrorFromSledAgent, isVmmGone, SledAgentClientError } from '../app/sled-agent-client.ts'
import type { InstanceRecord, VmmRecord } from '../db/records.ts'
import { effectiveInstanceState } from '../types/effective-instance-state.ts'
import type { NexusSagaServices } from './saga-services.ts'
import { ensureVmmRegistered, vmmRegisterBody } from './start-sled-calls.ts'

/**
 * The start's `InstanceEnsureBody`, except that the VMM begins `migrating` and carries the
 * instance's migration id (the sled-agent then reports the migration in as `pending`).
 */
export function migrationTargetRegisterBody(instance: InstanceRecord, vmm: VmmRecord, now: string): InstanceEnsureBodyInput {
  const body = vmmRegisterBody(instance, vmm, now)
  return { ...body, vmm_runtime: { ...body.vmm_runtime, state: 'migrating' }, migration_id: instance.migrationId }
}

/**
 * ENSURE_DESTINATION_PROPOLIS: PUT the target VMM to the destination sled and write back the
 * returned state; returns the VMM row as it is then. `instance` is the record with the migration
 * ids set. A 404 NO_SUCH_INSTANCE first marks the target `failed(no_such_instance)` and runs the
 * update saga; every sled-agent error then fails the node without touching the instance.
 */
export async function registerMigrationTarget(services: NexusSagaServices, instance: InstanceRecord, vmm: VmmRecord, now: string): Promise<VmmRecord> {
  return ensureVmmRegistered(services, vmm, migrationTargetRegisterBody(instance, vmm, now), 'migrate saga: target vmm')
}

/**
 * ENSURE_DESTINATION_PROPOLIS's undo: unregister the target (its returned state is ignored). Any
 * sled-agent error but 404 NO_SUCH_INSTANCE counts as "already gone"; that one fails the undo, so
 * the saga is stuck. Unlike the start saga's undo nothing is marked failed first. omicron's comment
 * says the opposite intent; its code keys on `vmm_gone`, and so does this (omicron-behaviour §2.7).
 */
export async function unregisterMigrationTarget(services: NexusSagaServices, vmm: VmmRecord): Promise<void> {
  try {
    await services.sledClient(vmm.sledId).vmmUnregister(vmm.id)
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    if (!isVmmGone(error)) return
    throw error
  }
}

/**
 * INSTANCE_MIGRATE: `instance_request_state(Migrate)` with the instance as SET_MIGRATION_IDS left it
 * and the registered target as its VMM (so the effective state is `migrating`): PUT state
 * `migration_target` with the source's Propolis address to the target's sled, writing back what it
 * returns. A sled-agent error fails the node and nothing is marked failed, not even on a 404.
 */
export async function requestMigrationIn(services: NexusSagaServices, instance: InstanceRecord, target: VmmRecord, source: VmmRecord): Promise<void> {
  const { runState } = effectiveInstanceState({ instance, activeVmm: target })
  const action = stateChangeAction(runState, true, 'migrate')
  if (action.kind === 'error') throw action.error
  if (action.kind !== 'send_to_sled') return
  const srcPropolisAddr = `[${source.propolisIp}]:${source.propolisPort}`
  try {
    const updated = await services.sledClient(target.sledId).vmmPutState(target.id, { type: 'migration_target', value: { src_propolis_addr: srcPropolisAddr } })
    if (updated !== null) services.intake.notify(target.id, updated)
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    throw externalErrorFromSledAgent(error)
  }
}
