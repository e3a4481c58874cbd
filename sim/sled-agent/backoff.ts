// Exponential backoff with jitter, as omicron's retry policies build it on the `backoff` crate:
// interval * multiplier each try, capped, randomised by +/-50%, never giving up. The jitter comes from
// a seeded stream. Mirrors: omicron common/src/backoff.rs@b848b6d.
import type { Rng } from '../kernel/rng.ts'

export interface BackoffPolicy {
  readonly initialMs: number
  readonly multiplier: number
  readonly maxMs: number
}

/** `retry_policy_internal_service`: the sled-agent's upcall to Nexus. */
export const INTERNAL_SERVICE_POLICY: BackoffPolicy = { initialMs: 250, multiplier: 2, maxMs: 3 * 60 * 1000 }
/** `retry_policy_local`: polling Propolis on the same sled. */
export const LOCAL_POLICY: BackoffPolicy = { initialMs: 50, multiplier: 2, maxMs: 1000 }

const RANDOMIZATION_FACTOR = 0.5

/** Yields the wait before each retry. */
export function* backoffDelays(policy: BackoffPolicy, rng: Rng): Generator<number, never> {
  let interval = policy.initialMs
  for (;;) {
    const delta = RANDOMIZATION_FACTOR * interval
    yield Math.round(interval - delta + rng.float() * 2 * delta)
    interval = Math.min(interval * policy.multiplier, policy.maxMs)
  }
}
