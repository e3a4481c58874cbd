import { describe, expect, it } from 'vitest'
import { IdSource, InvalidIdError, typedUuid, uuidV4FromBytes } from '../../../sim/kernel/ids.ts'
import { Rng } from '../../../sim/kernel/rng.ts'

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('IdSource', () => {
  it('mints version 4 UUIDs with the RFC 9562 variant, all distinct', () => {
    const ids = new IdSource(new Rng(1).fork('ids'))
    const minted = Array.from({ length: 1000 }, () => ids.uuid('instance'))

    for (const id of minted) expect(id).toMatch(UUID_V4)
    expect(new Set(minted).size).toBe(1000)
  })

  it('mints the same ids from the same seed', () => {
    const a = new IdSource(new Rng(5).fork('ids'))
    const b = new IdSource(new Rng(5).fork('ids'))

    expect([a.uuid('sled'), a.shortId(), a.uuid('propolis')]).toEqual([b.uuid('sled'), b.shortId(), b.uuid('propolis')])
  })

  it('mints 12-character short ids from the nanoid alphabet', () => {
    const ids = new IdSource(new Rng(2))
    const minted = Array.from({ length: 200 }, () => ids.shortId())

    for (const id of minted) expect(id).toMatch(/^[0-9A-Za-z_-]{12}$/)
    expect(new Set(minted).size).toBe(200)
  })
})

describe('typedUuid', () => {
  it('accepts any hex UUID and lower-cases it', () => {
    expect(typedUuid('sled', 'ABCDEF01-2345-6789-ABCD-EF0123456789')).toBe('abcdef01-2345-6789-abcd-ef0123456789')
  })

  it('rejects text that is not a UUID, naming the kind', () => {
    expect(() => typedUuid('propolis', 'not-a-uuid')).toThrow(InvalidIdError)
    expect(() => typedUuid('propolis', 'not-a-uuid')).toThrow(/parse propolis id failed/)
  })
})

describe('uuidV4FromBytes', () => {
  it('sets the version and variant bits and refuses the wrong byte count', () => {
    expect(uuidV4FromBytes(new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff')
    expect(uuidV4FromBytes(new Uint8Array(16))).toBe('00000000-0000-4000-8000-000000000000')
    expect(() => uuidV4FromBytes(new Uint8Array(15))).toThrow(RangeError)
  })
})
