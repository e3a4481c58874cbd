// How long each piece of simulated propolis-server work takes, in virtual ms: the defaults and the
// merge a scenario uses to tune some of them. Mirrors: propolis bin/propolis-server/src/lib/vm@372a574
// (only in what the durations stand for; the real ones depend on the guest and the host).
import type { PropolisTiming } from './types.ts'

/** The timing every propolis-server gets unless a scenario overrides part of it. */
export const DEFAULT_PROPOLIS_TIMING: PropolisTiming = {
  initMs: 500,
  bootMs: 2000,
  stopMs: 1000,
  rebootMs: 1000,
  rundownMs: 200,
  migrationPhaseMs: 300,
  restartAfterCrashMs: 1000,
}

export class PropolisTimingError extends RangeError {
  override readonly name = 'PropolisTimingError'
}

/** The defaults with `overrides` laid over them; every duration must be a finite number of ms ≥ 0. */
export function propolisTiming(overrides: Partial<PropolisTiming> = {}): PropolisTiming {
  const timing: PropolisTiming = { ...DEFAULT_PROPOLIS_TIMING, ...overrides }
  for (const [key, value] of Object.entries(timing)) {
    // null is allowed for restartAfterCrashMs only: a crashed server that never comes back.
    if (value === null && key === 'restartAfterCrashMs') continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new PropolisTimingError(`propolis timing failed: ${key} must be a non-negative number of ms (got ${String(value)})`)
    }
  }
  return timing
}
