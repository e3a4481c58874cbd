// Benchmark: the virtual clock with many pending timers. Schedules N timers (a third of them
// cancelled, each live one scheduling one more from inside its callback) and fires them all, for
// growing N; prints wall time per timer so linear growth shows as a flat column.
import { VirtualClock } from '../sim/kernel/clock.ts'
import { stopwatch } from '../sim/kernel/stopwatch.ts'

async function fireAll(n: number): Promise<{ wallMs: number; fired: number }> {
  const clock = new VirtualClock()
  let fired = 0
  const handles = Array.from({ length: n }, (_, i) =>
    clock.setTimeout(() => {
      fired += 1
      clock.setTimeout(() => (fired += 1), 500)
    }, (i * 7919) % 60_000),
  )
  handles.forEach((h, i) => i % 3 === 0 && clock.clearTimeout(h))
  const elapsed = stopwatch()
  await clock.advance(120_000)
  return { wallMs: elapsed(), fired }
}

const rows: string[] = []
let first: number | undefined
for (const n of [10_000, 20_000, 40_000, 80_000]) {
  const { wallMs, fired } = await fireAll(n)
  const perTimerUs = (wallMs * 1000) / fired
  first ??= perTimerUs
  rows.push(`${String(n).padStart(7)} scheduled  ${String(fired).padStart(7)} fired  ${wallMs.toFixed(1).padStart(8)} ms  ${perTimerUs.toFixed(2).padStart(6)} µs/timer  x${(perTimerUs / first).toFixed(2)} vs 10k`)
}
process.stdout.write(`virtual clock: fire every timer (1/3 cancelled, each live one nests another)\n${rows.join('\n')}\n`)
