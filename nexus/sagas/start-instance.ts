// `instanceStart`: Nexus's entry point for every start (the start API, create with `start: true`,
// the reincarnation task). It writes the intent `running` first (it stays even if the start is
// refused or fails), decides by the effective state, and runs instance-start to its end.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`instance_start`, `instance_start_allowed`).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InstanceUuid, ShortId } from '../../sim/kernel/ids.ts'
import { internalError, objectNotFound, type NexusApiError } from '../app/errors.ts'
import { startDisposition } from '../app/instance-admission.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceAndActiveVmm } from '../db/instance-queries.ts'
import type { StartReason } from '../db/records.ts'
import { effectiveInstanceState } from '../types/effective-instance-state.ts'
import { instanceStartSaga, type InstanceStartOutputs } from './instance-start.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaOutcome, SagaStarter } from './saga-types.ts'

export interface InstanceStartDeps {
  readonly db: Datastore
  /** Runs the saga (the Nexus's saga executor). */
  readonly sagas: SagaStarter<NexusSagaServices>
}

export type InstanceStartResult =
  /** Already starting, running, rebooting or migrating: nothing was run. */
  | { readonly kind: 'already_started'; readonly state: InstanceAndActiveVmm }
  /** The saga succeeded: the sled-agent accepted Run; the instance reads `starting` until it reports. */
  | { readonly kind: 'started'; readonly sagaId: ShortId; readonly state: InstanceAndActiveVmm }

/**
 * Starts the instance for `reason`. Throws the `NexusApiError` a caller sees: 404 for a missing
 * instance, the admission's 409/500, or the error of the saga node that failed (507 or 400 from
 * placement, 409 "instance changed state before it could be started" for a lost race, a sled-agent
 * error mapped with the generic table).
 */
export async function instanceStart(deps: InstanceStartDeps, instanceId: InstanceUuid, reason: StartReason): Promise<InstanceStartResult> {
  const { db } = deps
  const intent = db.instanceSetIntendedState(instanceId, 'running')
  const found = intent.kind === 'updated' ? db.instanceFetchWithVmm(instanceId) : null
  if (found === null) throw objectNotFound('instance', { id: instanceId })
  const { runState } = effectiveInstanceState({ instance: found.instance, activeVmm: found.vmm })
  const disposition = startDisposition(runState, found.vmm?.state ?? null)
  switch (disposition.kind) {
    case 'error':
      throw disposition.error
    case 'already_started':
      return { kind: 'already_started', state: found }
    case 'start':
      break
    default:
      return assertNever(disposition, 'start disposition')
  }
  const outcome = await deps.sagas.run(instanceStartSaga, { instance: found.instance, reason })
  if (outcome.kind !== 'succeeded') throw startSagaError(outcome)
  const after = db.instanceFetchWithVmm(instanceId)
  if (after === null) throw objectNotFound('instance', { id: instanceId })
  return { kind: 'started', sagaId: outcome.sagaId, state: after }
}

/** The error a failed start saga surfaces: its failed node's API error, else a 500 with its message. */
export function startSagaError(outcome: Exclude<SagaOutcome<InstanceStartOutputs>, { kind: 'succeeded' }>): NexusApiError {
  return outcome.error.apiError ?? internalError(outcome.error.message)
}
