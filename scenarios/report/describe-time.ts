// How reports name a moment: virtual time since the run began, and the timestamp it stands for
// (the clock's epoch plus the virtual time; never the wall clock of the machine writing the report).
import { formatElapsed, formatIso } from '../../sim/kernel/time.ts'

/** `t=12.000s · 2025-01-01T00:00:12.000Z` */
export function describeTime(at: number, epochMs: number): string {
  return `t=${formatElapsed(at)} · ${formatIso(epochMs + at)}`
}
