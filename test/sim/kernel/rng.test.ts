import { describe, expect, it } from 'vitest'
import { Rng } from '../../../sim/kernel/rng.ts'

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.uint32())

describe('Rng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    expect(draws(new Rng(42), 20)).toEqual(draws(new Rng(42), 20))
    expect(draws(new Rng(42), 20)).not.toEqual(draws(new Rng(43), 20))
    expect(draws(new Rng('42'), 5)).toEqual(draws(new Rng(42), 5))
  })

  it('gives a fork a stream that draws elsewhere do not shift', () => {
    const quiet = new Rng(7)
    const quietFork = draws(quiet.fork('sled-agent'), 10)

    const busy = new Rng(7)
    draws(busy, 1000)
    draws(busy.fork('nexus'), 1000)
    const busyFork = draws(busy.fork('sled-agent'), 10)

    expect(busyFork).toEqual(quietFork)
  })

  it('names a fork by its path, so nested forks are addressable and distinct', () => {
    const nested = new Rng(1).fork('sleds').fork('sled-2')

    expect(nested.path).toBe('1/sleds/sled-2')
    expect(draws(nested, 5)).toEqual(draws(new Rng('1/sleds/sled-2'), 5))
    expect(draws(nested, 5)).not.toEqual(draws(new Rng(1).fork('sleds').fork('sled-3'), 5))
  })

  it('rejects fork names that are empty or would alias another path', () => {
    expect(() => new Rng(1).fork('')).toThrow(/non-empty/)
    expect(() => new Rng(1).fork('a/b')).toThrow(/contain no '\/'/)
  })

  it('draws integers within inclusive bounds and reaches every value', () => {
    const rng = new Rng(3)
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i += 1) {
      const n = rng.int(-3, 3)
      expect(n).toBeGreaterThanOrEqual(-3)
      expect(n).toBeLessThanOrEqual(3)
      seen.add(n)
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3])
  })

  it('draws floats in [0, 1), bytes of the asked length, and picks from the array', () => {
    const rng = new Rng(9)
    const floats = Array.from({ length: 1000 }, () => rng.float())

    expect(Math.min(...floats)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...floats)).toBeLessThan(1)
    expect(rng.bytes(7)).toHaveLength(7)
    expect(['a', 'b', 'c']).toContain(rng.pick(['a', 'b', 'c']))
    expect(typeof rng.chance(0.5)).toBe('boolean')
  })

  it('rejects empty picks and malformed ranges', () => {
    const rng = new Rng(1)

    expect(() => rng.pick([])).toThrow(/empty/)
    expect(() => rng.int(5, 4)).toThrow(RangeError)
    expect(() => rng.int(0, 2 ** 33)).toThrow(/wider than 2\^32/)
  })
})
