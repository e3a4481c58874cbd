// Identifiers: the registry of typed UUID kinds (as omicron's uuid-kinds crate), seeded UUID v4,
// and seeded short ids. This is the only file that may cast a string to a branded id.
import { customRandom } from 'nanoid'
import type { Rng } from './rng.ts'

declare const brand: unique symbol
/** `T` tagged with a compile-time kind, so an `InstanceUuid` cannot be passed where a `PropolisUuid` is due. */
export type Brand<T, B extends string> = T & { readonly [brand]: B }

/** Every kind of UUID the testbed mints. Append-only, alphabetical. */
export const UUID_KINDS = ['affinity_group', 'anti_affinity_group', 'instance', 'migration', 'project', 'propolis', 'request', 'sled', 'updater'] as const
export type UuidKind = (typeof UUID_KINDS)[number]

export type TypedUuid<K extends UuidKind> = Brand<string, `${K}_uuid`>
export type AffinityGroupUuid = TypedUuid<'affinity_group'>
export type AntiAffinityGroupUuid = TypedUuid<'anti_affinity_group'>
export type InstanceUuid = TypedUuid<'instance'>
export type MigrationUuid = TypedUuid<'migration'>
export type ProjectUuid = TypedUuid<'project'>
/** A Propolis id; the same thing as a VMM id. */
export type PropolisUuid = TypedUuid<'propolis'>
/** A dropshot request id. */
export type RequestUuid = TypedUuid<'request'>
export type SledUuid = TypedUuid<'sled'>
/** The instance-updater lock holder (a UUID the saga generates, not the saga id). */
export type UpdaterUuid = TypedUuid<'updater'>

/** Short ids for sagas and requests (nanoid alphabet). */
export type ShortId = Brand<string, 'short_id'>

/** Any 8-4-4-4-12 hex UUID, as the uuid crate (and so dropshot) accepts it. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export class InvalidIdError extends Error {
  override readonly name = 'InvalidIdError'
}

/** Checks that `text` is a UUID and brands it as `kind`. */
export function typedUuid<K extends UuidKind>(kind: K, text: string): TypedUuid<K> {
  if (!UUID_PATTERN.test(text)) throw new InvalidIdError(`parse ${kind} id failed: '${text}' is not a UUID`)
  return text.toLowerCase() as TypedUuid<K>
}

const SHORT_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-'
const SHORT_ID_SIZE = 12

/** Mints ids from one seeded stream. */
export class IdSource {
  readonly #rng: Rng
  readonly #short: (size?: number) => string

  constructor(rng: Rng) {
    this.#rng = rng
    this.#short = customRandom(SHORT_ID_ALPHABET, SHORT_ID_SIZE, (bytes) => rng.bytes(bytes))
  }

  /** A random (version 4, RFC 9562 variant) UUID of the given kind. */
  uuid<K extends UuidKind>(kind: K): TypedUuid<K> {
    void kind // the kind exists only in the type; every kind shares the stream
    return uuidV4FromBytes(this.#rng.bytes(16)) as TypedUuid<K>
  }

  /** A short nanoid-style id (12 characters), for sagas and request ids. */
  shortId(): ShortId {
    return this.#short() as ShortId
  }
}

/** Formats 16 random bytes as a v4 UUID (sets the version and variant bits). */
export function uuidV4FromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`uuid failed: need 16 bytes, got ${bytes.length}`)
  const b = Uint8Array.from(bytes)
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
