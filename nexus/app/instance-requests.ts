// Stop and reboot (and the run/migrate requests the sagas send): set the intent first, decide from
// the effective state, then either answer without a sled-agent, write the stop of a failed
// instance, or ask the active VMM's sled-agent and feed the state it returns to the intake.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`instance_stop`, `instance_reboot`,
// `instance_request_state`).
import type { InstanceUuid, PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import type { VmmStateRequested } from '../../sim/sled-agent/api/index.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceIntendedState, InstanceRecord } from '../db/records.ts'
import type { NexusFlags } from '../nexus-config.ts'
import { effectiveInstanceState } from '../types/effective-instance-state.ts'
import { conflict, internalError, objectNotFound } from './errors.ts'
import { stateChangeAction, type StateChangeRequest } from './instance-admission.ts'
import {
  externalErrorFromSledAgent,
  failedInstanceBefore4682,
  instanceErrorFromSledAgent,
  isVmmGone,
  SledAgentClientError,
  type SledAgentClient,
} from './sled-agent-client.ts'
import type { VmmIntake } from './vmm-intake.ts'

export interface InstanceRequestDeps {
  readonly db: Datastore
  readonly intake: VmmIntake
  readonly sledClient: (sledId: SledUuid) => SledAgentClient
  /** Only `failOnAnySledAgentError` is read; shipping behaviour without it. */
  readonly flags?: Pick<NexusFlags, 'failOnAnySledAgentError'>
}

const REQUESTED: Readonly<Record<Exclude<StateChangeRequest, 'migrate'>, VmmStateRequested>> = {
  run: { type: 'running' },
  stop: { type: 'stopped' },
  reboot: { type: 'reboot' },
}

/** `instance_stop` (intent stopped) and `instance_reboot` (intent running). */
export async function requestInstanceState(deps: InstanceRequestDeps, instanceId: InstanceUuid, requested: 'stop' | 'reboot'): Promise<void> {
  const intent: InstanceIntendedState = requested === 'stop' ? 'stopped' : 'running'
  // The intent is written before anything else, so it stays even if the request then fails.
  if (deps.db.instanceSetIntendedState(instanceId, intent).kind === 'not_found') throw objectNotFound('instance', { id: instanceId })
  await sendStateRequest(deps, instanceId, requested)
}

/** `instance_request_state` for run, stop and reboot. */
export async function sendStateRequest(deps: InstanceRequestDeps, instanceId: InstanceUuid, requested: Exclude<StateChangeRequest, 'migrate'>): Promise<void> {
  const { db, intake } = deps
  const found = db.instanceFetchWithVmm(instanceId)
  if (found === null) throw objectNotFound('instance', { id: instanceId })
  const { instance, vmm } = found
  const { runState } = effectiveInstanceState({ instance, activeVmm: vmm })
  const action = stateChangeAction(runState, vmm !== null, requested)
  switch (action.kind) {
    case 'error':
      throw action.error
    case 'already_done':
      return
    case 'stop_failed_instance':
      return stopFailedInstance(db, instance)
    case 'send_to_sled':
      break
  }
  if (vmm === null) throw internalError('instance has no active VMM to send the request to')
  try {
    const updated = await deps.sledClient(vmm.sledId).vmmPutState(vmm.id, REQUESTED[requested])
    if (updated !== null) intake.notify(vmm.id, updated)
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    if (await failOnAnySledAgentError(deps, vmm.id, error)) throw externalErrorFromSledAgent(error)
    // RFD 486: only "no such instance" means the VMM is gone; fail it before answering.
    if (isVmmGone(error)) await intake.markVmmFailed(vmm.id, 'no_such_instance')
    throw instanceErrorFromSledAgent(error)
  }
}

/**
 * With `failOnAnySledAgentError`, the pre-2024 rule of a sled-agent put-state error: unless the error
 * was a 4xx, fail the VMM (so the update saga fails the instance) before answering. True when it did;
 * the caller then returns the error as the old code did, through the generic conversion.
 */
// Reproduces omicron#4226 on purpose (DESIGN.md §2): the old code wrote the instance Failed
// directly and cleared its Propolis id; with instance and VMM records split, failing the VMM and
// running the update saga reaches the same instance state. The old code knew no failure reasons, so
// the VMM fails as `prehistoric`, which is how a reason-less failed row reads.
export async function failOnAnySledAgentError(
  deps: Pick<InstanceRequestDeps, 'intake' | 'flags'>,
  propolisId: PropolisUuid,
  error: SledAgentClientError,
): Promise<boolean> {
  if (deps.flags?.failOnAnySledAgentError !== true || !failedInstanceBefore4682(error)) return false
  await deps.intake.markVmmFailed(propolisId, 'prehistoric')
  return true
}

function stopFailedInstance(db: Datastore, instance: InstanceRecord): void {
  const outcome = db.instanceStopFailed(instance.id, instance.gen)
  switch (outcome.kind) {
    case 'stopped':
      return
    case 'conflict':
      throw conflict(outcome.message)
    case 'not_found':
      throw objectNotFound('instance', { id: instance.id })
  }
}
