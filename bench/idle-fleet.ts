// Figure 5, idle fleet: 1,000 running instances on 100 sleds, then a stretch of simulated time in
// which nothing happens but the background tasks on their production periods (the watcher checks
// every VMM every 30 s, the updater, reincarnation and the reaper sweep). Reports how many simulated
// seconds pass per wall second. Usage: idle-fleet.ts [hours, default 24] [transport msw|direct]
import { createTestbed } from '../scenarios/testbed.ts'
import type { Transport } from '../scenarios/testbed-config.ts'
import { stopwatch } from '../sim/kernel/stopwatch.ts'
import { emit, numberArg, peakRssMiB, round } from './figure.ts'

const INSTANCES = 1_000
const hours = numberArg(0, 24)
const transport = (process.argv[3] ?? 'direct') as Transport
const GiB = 1024 ** 3

const tb = await createTestbed({ seed: 1, sleds: INSTANCES / 10, transport, invariants: 'writes', trace: 'counts' })
await Promise.all(Array.from({ length: INSTANCES }, (_, i) => tb.nexus.instanceCreate({ name: `vm-${i}`, ncpus: 2, memory: 4 * GiB, start: true })))
await tb.advance('1m')
const running = tb.nexus.instanceList().filter((v) => v.runState === 'running').length
if (running !== INSTANCES) throw new Error(`only ${running} of ${INSTANCES} instances are running`)

const checksBefore = tb.traceCounts()['http.request'] ?? 0
const elapsed = stopwatch()
for (let hour = 1; hour <= hours; hour += 1) {
  await tb.advance('1h')
  if (hours > 1) process.stderr.write(`  idle fleet: ${hour}/${hours} simulated hours, ${(elapsed() / 1000).toFixed(0)} s wall\n`)
}
const wallMs = elapsed()
const exchanges = (tb.traceCounts()['http.request'] ?? 0) - checksBefore
const violations = tb.invariants().length
tb.dispose()

const simulatedS = hours * 3600
const rate = simulatedS / (wallMs / 1000)
emit(
  `idle fleet of ${INSTANCES} running instances (${transport}), ${hours} simulated h of background tasks: ${(wallMs / 1000).toFixed(1)} s wall, ` +
    `${rate.toFixed(0)} simulated s per wall s; ${exchanges} HTTP exchanges (${((wallMs * 1000) / exchanges).toFixed(0)} µs each), ${violations} violations`,
  {
    instances: INSTANCES,
    transport,
    simulatedHours: hours,
    wallMs: round(wallMs, 0),
    simulatedSecondsPerWallSecond: round(rate, 0),
    httpExchanges: exchanges,
    microsecondsPerExchange: round((wallMs * 1000) / exchanges, 1),
    peakRssMiB: round(peakRssMiB(), 0),
    violations,
  },
)
