// Figure 1, lifecycle cost: one instance's whole life through the public API (create with start,
// run until running, stop, run until stopped, delete), each in a fresh `createTestbed()` with
// default timings, repeated. Reports the median wall time of the lifecycle (testbed construction
// timed apart), and how many virtual seconds pass per wall second. Usage: lifecycle.ts [runs] [transport]
import { createTestbed } from '../scenarios/testbed.ts'
import type { Transport } from '../scenarios/testbed-config.ts'
import { stopwatch } from '../sim/kernel/stopwatch.ts'
import { emit, median, numberArg, round } from './figure.ts'

const RUNS = numberArg(0, 200)
const WARMUP = 100
const transport: Transport = process.argv[3] === 'direct' ? 'direct' : 'msw'

const lifecycles: number[] = []
const constructions: number[] = []
let virtualMs = 0
let wallMs = 0
for (let i = 0; i < WARMUP + RUNS; i += 1) {
  const build = stopwatch()
  const tb = await createTestbed({ transport })
  const built = build()
  const elapsed = stopwatch()
  await tb.nexus.instanceCreate({ name: 'web', ncpus: 2, memory: 4 * 1024 ** 3, start: true })
  await tb.runUntil(() => tb.nexus.instanceView('web').runState === 'running', { timeout: '5m' })
  await tb.nexus.instanceStop('web')
  await tb.runUntil(() => tb.nexus.instanceView('web').runState === 'stopped', { timeout: '5m' })
  await tb.nexus.instanceDelete('web')
  const wall = elapsed()
  if (tb.invariants().length > 0) throw new Error(`lifecycle broke an invariant: ${JSON.stringify(tb.invariants())}`)
  if (i >= WARMUP) {
    lifecycles.push(wall)
    constructions.push(built)
    virtualMs += tb.elapsed()
    wallMs += wall
  }
  tb.dispose()
}

const medianMs = median(lifecycles)
const compression = virtualMs / wallMs
emit(
  `lifecycle (create+start, running, stop, stopped, delete) x${RUNS}, transport ${transport}: median ${medianMs.toFixed(2)} ms wall ` +
    `(createTestbed ${median(constructions).toFixed(2)} ms apart), ${(virtualMs / RUNS / 1000).toFixed(1)} virtual s each, ${compression.toFixed(0)} virtual s per wall s`,
  {
    runs: RUNS,
    transport,
    medianMs: round(medianMs, 3),
    p90Ms: round([...lifecycles].sort((a, b) => a - b)[Math.floor(RUNS * 0.9)] ?? Number.NaN, 3),
    createTestbedMedianMs: round(median(constructions), 3),
    virtualSecondsPerLifecycle: round(virtualMs / RUNS / 1000, 3),
    virtualSecondsPerWallSecond: round(compression, 0),
  },
)
