// What every benchmark figure shares: medians, peak memory, and the one line of JSON a figure prints
// last so that `bench/run.ts` (which runs each figure in a process of its own) can collect it.
import { stopwatch } from '../sim/kernel/stopwatch.ts'

/** The line prefix `bench/run.ts` looks for in a figure's output. */
export const RESULT_PREFIX = 'BENCH_RESULT '

export type FigureValue = string | number | boolean | null | readonly FigureValue[] | { readonly [key: string]: FigureValue }

/** Prints a human-readable summary, then the figure's result as one JSON line for the parent. */
export function emit(summary: string, result: { readonly [key: string]: FigureValue }): void {
  process.stdout.write(`${summary}\n${RESULT_PREFIX}${JSON.stringify(result)}\n`)
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024
}

/** Runs `work`, returning its result and the wall ms it took. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wallMs: number }> {
  const elapsed = stopwatch()
  const value = await work()
  return { value, wallMs: elapsed() }
}

/** Rounds to `digits` decimals, for tidy JSON. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** A positional command-line argument as a number, or `fallback`. */
export function numberArg(index: number, fallback: number): number {
  const raw = process.argv[2 + index]
  const n = raw === undefined ? Number.NaN : Number(raw)
  return Number.isFinite(n) ? n : fallback
}
