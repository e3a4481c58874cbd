// Which state changes an instance admits, decided from its effective state (never a VMM state on
// its own): what a start does, and what a run/stop/reboot/migrate request does. The messages use the
// external state names. Mirrors: omicron nexus/src/app/instance.rs@b848b6d
// (`instance_start_allowed`, `select_runtime_change_action`).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InstanceState } from '../types/instance-state.ts'
import type { VmmRecordState } from '../types/vmm-record.ts'
import { conflict, internalError, invalidRequest, type NexusApiError } from './errors.ts'

export type StartDisposition =
  /** Already starting, running, rebooting or migrating: success, no saga. */
  | { readonly kind: 'already_started' }
  /** Stopped or failed, with no VMM or an unwound one: run instance-start. */
  | { readonly kind: 'start' }
  | { readonly kind: 'error'; readonly error: NexusApiError }

/** `instance_start_allowed`: `activeVmm` is the live active VMM's state, if any. */
export function startDisposition(effective: InstanceState, activeVmm: VmmRecordState | null): StartDisposition {
  switch (effective) {
    case 'starting':
    case 'running':
    case 'rebooting':
    case 'migrating':
      return { kind: 'already_started' }
    case 'stopped':
    case 'failed':
      // A start saga that unwound leaves its VMM behind; a new start may overwrite it.
      if (activeVmm === null || activeVmm === 'saga_unwound') return { kind: 'start' }
      return { kind: 'error', error: internalError(`instance is ${effective} but still has an active VMM`) }
    case 'stopping':
      return { kind: 'error', error: conflict('instance must finish stopping before it can be started') }
    case 'creating':
    case 'repairing':
    case 'destroyed':
      return { kind: 'error', error: conflict(`instance is in state ${effective} but it must be stopped to be started`) }
    default:
      return assertNever(effective, 'instance state')
  }
}

export type StateChangeRequest = 'run' | 'stop' | 'reboot' | 'migrate'

export type StateChangeAction =
  /** Stop of a stopped instance: nothing to do. */
  | { readonly kind: 'already_done' }
  /** Stop of a failed instance with no VMM: write `no_vmm` with gen + 1, no sled-agent call. */
  | { readonly kind: 'stop_failed_instance' }
  /** Ask the active VMM's sled-agent. */
  | { readonly kind: 'send_to_sled' }
  | { readonly kind: 'error'; readonly error: NexusApiError }

const error = (e: NexusApiError): StateChangeAction => ({ kind: 'error', error: e })

/** `select_runtime_change_action`. */
export function stateChangeAction(effective: InstanceState, hasActiveVmm: boolean, requested: StateChangeRequest): StateChangeAction {
  if (!hasActiveVmm) return withoutVmm(effective, requested)
  const forwardable: readonly InstanceState[] =
    requested === 'migrate' ? ['running', 'rebooting', 'migrating'] : ['creating', 'starting', 'running', 'stopping', 'stopped', 'rebooting', 'migrating']
  if (forwardable.includes(effective)) return { kind: 'send_to_sled' }
  return error(invalidRequest(`instance state cannot be changed from state "${effective}"`))
}

function withoutVmm(effective: InstanceState, requested: StateChangeRequest): StateChangeAction {
  switch (effective) {
    case 'stopped':
      if (requested === 'stop') return { kind: 'already_done' }
      return error(invalidRequest(`cannot ${requested} an instance in state stopped with no VMM`))
    case 'creating':
      return error(invalidRequest('cannot change instance state while it is still being created'))
    case 'failed':
      // A failed instance is never linked to a VMM, so stopping it is a record write.
      if (requested === 'stop') return { kind: 'stop_failed_instance' }
      return error(invalidRequest('instance state cannot be changed from failed'))
    case 'destroyed':
      return error(invalidRequest('instance state cannot be changed from destroyed'))
    case 'starting':
    case 'running':
    case 'stopping':
    case 'rebooting':
    case 'migrating':
    case 'repairing':
      return error(internalError('instance is active but not resident on a sled'))
    default:
      return assertNever(effective, 'instance state')
  }
}
