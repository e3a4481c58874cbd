// Benchmark: one VMM's full life on a simulated sled (register, start to running, stop, destroyed,
// deregistered) through real fetch and MSW, repeated; prints the median wall time and how many
// virtual seconds pass per wall second.
import { stopwatch } from '../sim/kernel/stopwatch.ts'
import { SledHarness } from '../test/support/sled-harness.ts'

const RUNS = 200
const walls: number[] = []
let virtualMs = 0
const h = new SledHarness()
const sled = h.sled(0)
for (let i = 0; i < RUNS; i += 1) {
  const started = h.clock.now()
  const elapsed = stopwatch()
  const { propolisId } = await h.register(sled)
  await h.settleCall(h.putState(sled, propolisId, { type: 'running' }))
  await h.clock.advance(5_000)
  await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))
  await h.clock.advance(5_000)
  walls.push(elapsed())
  virtualMs += h.clock.now() - started
  if (sled.vmms.get(propolisId) !== undefined) throw new Error('the VMM did not deregister')
}
h.dispose()
walls.sort((a, b) => a - b)
const median = walls[Math.floor(RUNS / 2)] ?? 0
const total = walls.reduce((a, b) => a + b, 0)
process.stdout.write(
  `sled lifecycle (register, start, running, stop, destroyed) x${RUNS}: median ${median.toFixed(2)} ms wall, ` +
    `${(virtualMs / 1000 / (total / 1000)).toFixed(0)} virtual s per wall s\n`,
)
