// Byte sizes as scenarios write them: a number of bytes, or a string with a binary unit.
const UNITS: Readonly<Record<string, number>> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 }

/** `4GiB` → 4294967296; a number is taken as bytes; null when it is not a size. */
export function parseBytes(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null
  const match = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)$/.exec(value.trim())
  if (match?.[1] === undefined || match[2] === undefined) return null
  const unit = UNITS[match[2]]
  return unit === undefined ? null : Number(match[1]) * unit
}
