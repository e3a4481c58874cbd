// Wall-clock measurement, for benchmarks and progress lines only. Nothing the simulation does may
// depend on it: virtual time comes from the VirtualClock.
import { performance } from 'node:perf_hooks'

/** Starts a stopwatch; the returned function gives wall ms elapsed since the start. */
export function stopwatch(): () => number {
  const start = performance.now()
  return () => performance.now() - start
}
