// The domain `VmmState`: ten states, of which `failed` alone carries a reason, so a failed VMM
// without one (or a running VMM with one) cannot be written. Predicates are built from the named
// sets. Mirrors: omicron nexus/types/src/instance.rs@b848b6d (`VmmState`).
import type { VmmFailureReason } from './vmm-failure-reason.ts'

/** Every domain state label, which is also the DB `vmm_state` value. */
export const VMM_STATE_LABELS = [
  'creating',
  'starting',
  'running',
  'stopping',
  'stopped',
  'rebooting',
  'migrating',
  'failed',
  'destroyed',
  'saga_unwound',
] as const
export type VmmStateLabel = (typeof VMM_STATE_LABELS)[number]

export type VmmState =
  | { readonly state: Exclude<VmmStateLabel, 'failed'> }
  | { readonly state: 'failed'; readonly reason: VmmFailureReason }

/** A VMM that will never transition again. `saga_unwound` is deliberately not terminal. */
export const TERMINAL_VMM_STATES = ['failed', 'destroyed'] as const satisfies readonly VmmStateLabel[]
/** Safe to free the VMM's sled resources and soft-delete its row. */
export const DESTROYABLE_VMM_STATES = ['failed', 'destroyed', 'saga_unwound'] as const satisfies readonly VmmStateLabel[]
/** The VMM does not exist on any sled: not yet registered, gone, or never to exist. */
export const NONEXISTENT_VMM_STATES = ['creating', 'destroyed', 'saga_unwound'] as const satisfies readonly VmmStateLabel[]

/** A state other than `failed`. */
export function vmmState(state: Exclude<VmmStateLabel, 'failed'>): VmmState {
  return { state }
}

export function failedVmmState(reason: VmmFailureReason): VmmState {
  return { state: 'failed', reason }
}

/** Equality including the failure reason: failed(from_sled_agent) and failed(no_such_instance) differ. */
export function vmmStatesEqual(a: VmmState, b: VmmState): boolean {
  if (a.state === 'failed' || b.state === 'failed') {
    return a.state === 'failed' && b.state === 'failed' && a.reason === b.reason
  }
  return a.state === b.state
}

const includes = (set: readonly VmmStateLabel[], s: VmmState): boolean => set.includes(s.state)

export function isTerminal(s: VmmState): boolean {
  return includes(TERMINAL_VMM_STATES, s)
}

export function isFailed(s: VmmState): s is Extract<VmmState, { state: 'failed' }> {
  return s.state === 'failed'
}

export function isDestroyable(s: VmmState): boolean {
  return includes(DESTROYABLE_VMM_STATES, s)
}

export function existsOnSled(s: VmmState): boolean {
  return !includes(NONEXISTENT_VMM_STATES, s)
}

/** Omicron's `label()` / Display: the snake_case state name, without the reason. */
export function vmmStateLabel(s: VmmState): VmmStateLabel {
  return s.state
}
