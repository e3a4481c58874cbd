// Durations and timestamps. Every format and parse goes through luxon with an explicit UTC zone
// (parsing takes a shortcut for the canonical UTC form the simulation writes, which gives luxon's
// answer); luxon's process-global `Settings.now` and `Settings.defaultZone` are never consulted.
import { DateTime, Duration } from 'luxon'

/** A duration as scenarios write it: ms as a number, or '250ms', '30s', '5m', '1h', '1d', '1h30m', 'PT15M'. */
export type DurationInput = number | string

const UNIT_TO_LUXON = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
} as const satisfies Record<string, keyof ReturnType<Duration['toObject']>>

type ShortUnit = keyof typeof UNIT_TO_LUXON
const SHORTHAND = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/
const SHORTHAND_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g

export class DurationError extends Error {
  override readonly name = 'DurationError'
}

/** Parses a duration into virtual milliseconds; rejects anything ambiguous or negative. */
export function parseDuration(input: DurationInput): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw new DurationError(`parse duration failed: ${input} is not a non-negative number of ms`)
    }
    return input
  }
  const text = input.trim()
  if (SHORTHAND.test(text)) {
    const parts: Partial<Record<(typeof UNIT_TO_LUXON)[ShortUnit], number>> = {}
    for (const [, amount, unit] of text.matchAll(SHORTHAND_PART)) {
      const key = UNIT_TO_LUXON[unit as ShortUnit]
      parts[key] = (parts[key] ?? 0) + Number(amount)
    }
    return Duration.fromObject(parts).toMillis()
  }
  // An ISO 8601 duration needs at least one number: luxon reads a bare 'P' as zero.
  if (/^P.*\d/i.test(text)) {
    const iso = Duration.fromISO(text.toUpperCase())
    if (iso.isValid) return iso.toMillis()
  }
  throw new DurationError(
    `parse duration failed: '${input}' is not a duration (use ms as a number, or e.g. '250ms', '30s', '5m', '1h', 'PT15M')`,
  )
}

/** Formats Unix epoch ms as RFC 3339 in UTC with millisecond precision and a `Z` suffix. */
export function formatIso(epochMs: number): string {
  const iso = DateTime.fromMillis(epochMs, { zone: 'utc' }).toISO()
  if (iso === null) throw new RangeError(`format time failed: ${epochMs} is not a representable instant`)
  return iso
}

/** Parses an RFC 3339 timestamp (any offset; sub-millisecond digits are truncated) into epoch ms. */
export function parseIso(text: string): number {
  const fast = parseCanonicalUtc(text)
  if (fast !== null) return fast
  const parsed = DateTime.fromISO(text, { zone: 'utc', setZone: true })
  if (!parsed.isValid) throw new RangeError(`parse time failed: '${text}' is not an RFC 3339 timestamp`)
  return parsed.toMillis()
}

// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with every field in range: what formatIso writes and what the
// sleds and Nexus exchange, read without luxon (whose parser dominated the watcher's cost). Anything
// else, or a day the month does not have, is left to luxon (null).
const CANONICAL_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/

function parseCanonicalUtc(text: string): number | null {
  const m = CANONICAL_UTC.exec(text)
  if (m === null) return null
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number]
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  // Date.UTC rolls 31 April over into May; luxon calls it invalid.
  return new Date(epochMs).getUTCDate() === day ? epochMs : null
}

/** Renders virtual elapsed ms for timelines: `12.345s`, always three decimals. */
export function formatElapsed(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`
}
