// Figure 3, one point of the scale curve: N instances on N/10 sleds are created and started all at
// once, run until every one is running, watched for ten simulated minutes (the watcher on its
// production period), then 1% of the sleds are expunged and everything settles (the watcher fails
// their VMMs, the update sagas and reincarnation restart the instances elsewhere). Reports wall time
// per phase, peak RSS and wall time per instance. bench/run.ts runs each point in a process of its own.
// Usage: scale.ts [instances] [transport msw|direct] [invariants off|writes|full] [trace events|counts]
import { createTestbed, type Testbed } from '../scenarios/testbed.ts'
import type { InvariantLevel, TraceMode, Transport } from '../scenarios/testbed-config.ts'
import { stopwatch } from '../sim/kernel/stopwatch.ts'
import { parseDuration } from '../sim/kernel/time.ts'
import { emit, numberArg, peakRssMiB, round } from './figure.ts'

const instances = numberArg(0, 1_000)
const sleds = Math.max(1, Math.round(instances / 10))
const transport = (process.argv[3] ?? 'direct') as Transport
const invariants = (process.argv[4] ?? 'writes') as InvariantLevel
const traceMode = (process.argv[5] ?? 'counts') as TraceMode
const GiB = 1024 ** 3

const phases: Record<string, number> = {}
const peakRssAfter: Record<string, number> = {}
const total = stopwatch()
let lap = stopwatch()
function phase(name: string): void {
  phases[name] = round(lap(), 0)
  peakRssAfter[name] = round(peakRssMiB(), 0)
  lap = stopwatch()
}

const tb = await createTestbed({ seed: 1, sleds, transport, invariants, trace: traceMode })
phase('createTestbed')

await Promise.all(Array.from({ length: instances }, (_, i) => tb.nexus.instanceCreate({ name: `vm-${i}`, ncpus: 2, memory: 4 * GiB, start: true })))
await advanceUntil(tb, '10s', '10m', () => census(tb).running === instances)
phase('start all')

await tb.advance('10m')
phase('watch 10 min')

const expunged = Array.from({ length: Math.max(1, Math.round(sleds / 100)) }, (_, i) => Math.floor((i * sleds) / Math.max(1, Math.round(sleds / 100))))
await Promise.all(expunged.map((sled) => tb.nexus.sledExpunge(sled)))
const settleFrom = tb.elapsed()
await advanceUntil(tb, '30s', '30m', () => settled(tb))
const settleVirtualS = (tb.elapsed() - settleFrom) / 1000
phase('expunge 1% and settle')

const wallMs = total()
const final = census(tb)
const violations = tb.invariants()
tb.dispose()
const perInstanceMs = wallMs / instances
emit(
  `scale ${instances} instances on ${sleds} sleds (${transport}, invariants ${invariants}, trace ${traceMode}): ${(wallMs / 1000).toFixed(1)} s wall, ` +
    `${perInstanceMs.toFixed(2)} ms per instance, peak RSS ${peakRssMiB().toFixed(0)} MiB; ` +
    `${Object.entries(phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}; settled in ${settleVirtualS} virtual s; ` +
    `${final.running} running; ${tb.traceCounts()['http.request'] ?? 0} HTTP exchanges, ${violations.length} violations`,
  {
    instances,
    sleds,
    transport,
    invariants,
    trace: traceMode,
    wallMs: round(wallMs, 0),
    perInstanceMs: round(perInstanceMs, 3),
    peakRssMiB: round(peakRssMiB(), 0),
    phasesMs: phases,
    peakRssMiBAfter: peakRssAfter,
    settleVirtualSeconds: settleVirtualS,
    running: final.running,
    httpExchanges: tb.traceCounts()['http.request'] ?? 0,
    traceEvents: Object.values(tb.traceCounts()).reduce((a, b) => a + b, 0),
    violations: violations.length,
  },
)

/** How many instances are in each run state. */
function census(t: Testbed): { running: number; other: number } {
  let running = 0
  for (const view of t.nexus.instanceList()) if (view.runState === 'running') running += 1
  return { running, other: instances - running }
}

// Nothing in flight and every instance running again (or, if it could not be, no saga left to try).
function settled(t: Testbed): boolean {
  return t.db.sagas({ state: 'running' }).length === 0 && census(t).running === instances
}

// Advances `step` at a time until `done()` (checked between steps, since a check reads every instance).
async function advanceUntil(t: Testbed, step: string, limit: string, done: () => boolean): Promise<void> {
  const deadline = t.elapsed() + parseDuration(limit)
  while (!done()) {
    if (t.elapsed() >= deadline) throw new Error(`scale run did not settle within ${limit} of virtual time`)
    await t.advance(step)
  }
}
