import { describe, expect, it } from 'vitest'
import { DEFAULT_PROPOLIS_TIMING, propolisTiming } from '../../../sim/propolis/timing.ts'

describe('propolisTiming', () => {
  it('gives the defaults when nothing is overridden', () => {
    expect(propolisTiming()).toEqual({
      initMs: 500,
      bootMs: 2000,
      stopMs: 1000,
      rebootMs: 1000,
      rundownMs: 200,
      migrationPhaseMs: 300,
      restartAfterCrashMs: 1000,
    })
  })

  it('lays overrides over the defaults, including a crash that never restarts', () => {
    expect(propolisTiming({ bootMs: 10, restartAfterCrashMs: null })).toEqual({ ...DEFAULT_PROPOLIS_TIMING, bootMs: 10, restartAfterCrashMs: null })
  })

  it.each([
    [{ stopMs: -1 }, 'stopMs must be a non-negative number of ms (got -1)'],
    [{ initMs: Number.NaN }, 'initMs must be a non-negative number of ms (got NaN)'],
  ])('rejects %o', (overrides, message) => {
    expect(() => propolisTiming(overrides)).toThrow(message)
  })
})
