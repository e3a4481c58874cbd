import fc from 'fast-check'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { DurationError, formatElapsed, formatIso, parseDuration, parseIso } from '../../../sim/kernel/time.ts'

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    [' 2s ', 2000],
    ['PT15M', 900_000],
    ['pt1h', 3_600_000],
  ] as const)('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it.each([['-1'], ['30'], ['5 minutes'], [''], ['1x'], ['P'], [-5], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'rejects %j with a message that shows the accepted forms',
    (input) => {
      expect(() => parseDuration(input)).toThrow(DurationError)
    },
  )
})

describe('ISO timestamps', () => {
  it('formats epoch ms in UTC with milliseconds and a Z suffix', () => {
    expect(formatIso(Date.UTC(2026, 7, 21, 10, 0, 0, 123))).toBe('2026-08-21T10:00:00.123Z')
  })

  it('parses RFC 3339 with any offset and sub-millisecond digits', () => {
    expect(parseIso('2026-08-21T10:00:00.123Z')).toBe(Date.UTC(2026, 7, 21, 10, 0, 0, 123))
    expect(parseIso('2026-08-21T10:00:00.123456789Z')).toBe(Date.UTC(2026, 7, 21, 10, 0, 0, 123))
    expect(parseIso('2026-08-21T12:00:00+02:00')).toBe(Date.UTC(2026, 7, 21, 10, 0, 0))
  })

  it('round-trips every formatted instant', () => {
    for (const ms of [0, 1, Date.UTC(2026, 7, 21), Date.UTC(2038, 0, 19, 3, 14, 8, 999)]) {
      expect(parseIso(formatIso(ms))).toBe(ms)
    }
  })

  it('reads canonical UTC timestamps exactly as luxon does, invalid days included', () => {
    const two = (n: number) => String(n).padStart(2, '0')
    const canonical = fc
      .record({
        year: fc.integer({ min: 900, max: 9999 }),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
        hour: fc.integer({ min: 0, max: 24 }),
        minute: fc.integer({ min: 0, max: 60 }),
        second: fc.integer({ min: 0, max: 60 }),
        fraction: fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
      })
      .map(({ year, month, day, hour, minute, second, fraction }) =>
        `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}${fraction === undefined ? '' : `.${fraction}`}Z`,
      )
    fc.assert(
      fc.property(canonical, (text) => {
        const viaLuxon = DateTime.fromISO(text, { zone: 'utc', setZone: true })
        if (viaLuxon.isValid) expect(parseIso(text)).toBe(viaLuxon.toMillis())
        else expect(() => parseIso(text)).toThrow(/not an RFC 3339 timestamp/)
      }),
      { numRuns: 2000 },
    )
  })

  it('rejects text that is not a timestamp', () => {
    expect(() => parseIso('yesterday')).toThrow(/not an RFC 3339 timestamp/)
  })

  it('renders elapsed virtual time with three decimals', () => {
    expect(formatElapsed(0)).toBe('0.000s')
    expect(formatElapsed(61_234)).toBe('61.234s')
  })
})
