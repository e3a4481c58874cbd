// What the invariant checker reports (DESIGN.md §6): one violation per broken rule and subject,
// stamped with the virtual time it was first seen. Scenarios declare the ones they expect by name.

export const INVARIANT_NAMES = [
  /** `state = vmm` iff an active VMM; `failed` iff a failure reason; one live reservation per kind. */
  'record_constraints',
  /** Instance, VMM and both migration-side generations never go backwards. */
  'generation_monotonic',
  /**
   * A VMM in `destroyed`, `failed` or `saga_unwound` never changes state again, except that the saga
   * that created it may still mark it `saga_unwound` (omicron's unconditional `vmm_mark_saga_unwound`).
   */
  'terminal_vmm_frozen',
  /** Reservations on a sled, tombstoned ones included, never exceed its hardware threads or reservoir. */
  'sled_not_overcommitted',
  /**
   * Once the reaper has run, no reservation outlives its VMM: a reaper activation frees every VMM
   * abandoned when it began, and a soft-deleted VMM never holds a reservation.
   */
  'reservation_outlives_vmm',
  /**
   * Provisioning counters never go negative and equal what instances with VMMs hold: with no saga
   * working on it and its lock free, an instance whose live active VMM is not `saga_unwound` holds its
   * size (or, once that VMM is `failed` or `destroyed`, possibly nothing), any other instance nothing.
   */
  'provisioning_consistent',
  /** Every saga ends succeeded or unwound, unless a fault targeted its undo. */
  'saga_ends_clean',
  /** The instance updater lock is free when no saga works on the instance. */
  'updater_lock_free',
  /** No HTTP request leaves the process (every request is routed to a simulated host). */
  'no_request_leaves',
] as const

export type InvariantName = (typeof INVARIANT_NAMES)[number]

export interface InvariantViolation {
  readonly invariant: InvariantName
  /** Virtual ms since the testbed's clock started. */
  readonly at: number
  /** The record or request it concerns (`instance <id>`, `vmm <id>`, `sled <name>`, `saga <id>`, a URL). */
  readonly subject: string
  /** A sentence saying what was expected and what was found. */
  readonly message: string
}
