// The seeded pseudo-random source. One root per testbed; each subsystem takes a named fork whose
// stream depends only on the root seed and the fork's path, never on how many draws anyone else
// made, so adding draws in one subsystem does not shift another.

/** A seed as scenarios write it. */
export type Seed = number | string

export class Rng {
  /** The fork path, e.g. `1/sled-agent/sled-2`; it alone determines the stream. */
  readonly path: string
  #a: number
  #b: number
  #c: number
  #d: number

  /** `new Rng('1/sled-agent')` is the same stream as `new Rng(1).fork('sled-agent')`. */
  constructor(seed: Seed) {
    this.path = String(seed)
    ;[this.#a, this.#b, this.#c, this.#d] = cyrb128(this.path)
    // Discard the first outputs: sfc32 mixes poorly for a few rounds after seeding.
    for (let i = 0; i < 12; i += 1) this.uint32()
  }

  /** An independent stream named `name` under this one. */
  fork(name: string): Rng {
    if (name.length === 0 || name.includes('/')) {
      throw new RangeError(`rng fork failed: name '${name}' must be non-empty and contain no '/'`)
    }
    return new Rng(`${this.path}/${name}`)
  }

  /** A uniformly distributed unsigned 32-bit integer (sfc32). */
  uint32(): number {
    const a = this.#a
    const b = this.#b
    const c = this.#c
    const d = this.#d
    const t = (((a + b) | 0) + d) | 0
    this.#d = (d + 1) | 0
    this.#a = b ^ (b >>> 9)
    this.#b = (c + (c << 3)) | 0
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0
    return t >>> 0
  }

  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number {
    return this.uint32() / 0x1_0000_0000
  }

  /** An integer in [min, max], both inclusive, without modulo bias. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`rng int failed: [${min}, ${max}] is not a range of safe integers`)
    }
    const span = max - min + 1
    if (span > 0x1_0000_0000) throw new RangeError(`rng int failed: range [${min}, ${max}] is wider than 2^32`)
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % span)
    for (;;) {
      const draw = this.uint32()
      if (draw < limit) return min + (draw % span)
    }
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('rng pick failed: the array is empty')
    return items[this.int(0, items.length - 1)] as T
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 4) {
      const word = this.uint32()
      for (let j = 0; j < 4 && i + j < n; j += 1) out[i + j] = (word >>> (8 * j)) & 0xff
    }
    return out
  }
}

// cyrb128: a fast 128-bit string hash, used only to turn a fork path into sfc32's four state words.
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i += 1) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}
