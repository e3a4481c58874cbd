// `npm run bench`: every figure of issue 7, each in a process of its own (so one figure's heap and JIT
// state do not touch the next), then a table and bench/results.json. The catalogue figures time
// whole commands, start-up included. `--quick` runs a shorter version (scale up to 4,000 instances,
// one simulated hour of idle fleet) for a look while working.
import { spawn } from 'node:child_process'
import { cpus, totalmem } from 'node:os'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { stopwatch } from '../sim/kernel/stopwatch.ts'
import { RESULT_PREFIX, round, type FigureValue } from './figure.ts'
import { renderTable, type Row } from './table.ts'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const quick = process.argv.includes('--quick')
const SCALE_SIZES = quick ? [1_000, 2_000, 4_000] : [1_000, 2_000, 4_000, 8_000, 10_000]

type Result = { readonly [key: string]: FigureValue }

interface Run {
  readonly exitCode: number
  readonly wallMs: number
  readonly result: Result | null
  readonly stdout: string
}

/** Runs a command from the repository root; stderr passes through (progress), stdout is kept. */
function runCommand(command: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const elapsed = stopwatch()
    const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' } })
    let stdout = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => (stdout += chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = elapsed()
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
      const result = line === undefined ? null : (JSON.parse(line.slice(RESULT_PREFIX.length)) as Result)
      resolve({ exitCode: code ?? 1, wallMs, result, stdout })
    })
  })
}

/** One figure script under bench/, in a fresh Node process. */
async function figure(script: string, ...args: (string | number)[]): Promise<Result> {
  process.stderr.write(`bench: ${script} ${args.join(' ')}\n`)
  const run = await runCommand(process.execPath, ['--import', 'tsx', `bench/${script}`, ...args.map(String)])
  const summary = run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(RESULT_PREFIX))
  for (const line of summary) process.stderr.write(`  ${line}\n`)
  if (run.exitCode !== 0 || run.result === null) throw new Error(`bench: ${script} ${args.join(' ')} failed (exit ${run.exitCode})`)
  return run.result
}

/** A whole command, timed from the outside, start-up included. */
async function command(label: string, cmd: string, args: readonly string[]): Promise<Result> {
  process.stderr.write(`bench: ${label}\n`)
  const run = await runCommand(cmd, args)
  const last = run.stdout.trim().split('\n').filter((l) => /passed|failed/.test(l)).at(-1) ?? ''
  process.stderr.write(`  ${(run.wallMs / 1000).toFixed(2)} s wall, exit ${run.exitCode}: ${last.replace(/\x1b\[[0-9;]*m/g, '').trim()}\n`)
  return { command: [cmd, ...args].join(' '), wallMs: round(run.wallMs, 0), exitCode: run.exitCode }
}

const num = (result: Result, key: string): number => {
  const value = result[key]
  return typeof value === 'number' ? value : Number.NaN
}

const lifecycleMsw = await figure('lifecycle.ts', 500, 'msw')
const lifecycleDirect = await figure('lifecycle.ts', 500, 'direct')
const callCost = await figure('call-cost.ts', 5_000)
const scale: Result[] = []
for (const size of SCALE_SIZES) scale.push(await figure('scale.ts', size, 'direct', 'writes', 'counts'))
const scaleDefaults = await figure('scale.ts', 1_000, 'msw', 'full', 'events')
const catalogueVitest = await command('catalogue under vitest', 'npx', ['vitest', 'run', 'test/scenarios.test.ts'])
const catalogueCli = await command('catalogue under the CLI', 'npx', ['tsx', 'scenarios/cli.ts', 'run'])
const idle = await figure('idle-fleet.ts', quick ? 1 : 24, 'direct')

const first = scale[0]
const last = scale.at(-1)
const growth = first === undefined || last === undefined ? Number.NaN : num(last, 'perInstanceMs') / num(first, 'perInstanceMs')
// The same ratio phase by phase: wall ms per instance at the largest size over the smallest.
const phaseMs = (r: Result | undefined): Record<string, number> => ((r?.['phasesMs'] ?? {}) as Record<string, number>)
const phaseGrowth = Object.fromEntries(
  Object.keys(phaseMs(last))
    .filter((name) => name !== 'createTestbed')
    .map((name) => [name, round(((phaseMs(last)[name] ?? 0) / num(last ?? {}, 'instances')) / ((phaseMs(first)[name] ?? 0) / num(first ?? {}, 'instances')), 2)]),
)
const largest = last ?? {}
const micro = (callCost['microseconds'] ?? {}) as Record<string, number>
const ratios = (callCost['ratios'] ?? {}) as Record<string, number>

const rows: Row[] = [
  { figure: '1 lifecycle (msw, default)', value: `${num(lifecycleMsw, 'medianMs')} ms median`, detail: `${num(lifecycleMsw, 'virtualSecondsPerWallSecond')} virtual s / wall s`, target: '< 5 ms', met: num(lifecycleMsw, 'medianMs') < 5 },
  { figure: '1 lifecycle (direct)', value: `${num(lifecycleDirect, 'medianMs')} ms median`, detail: `${num(lifecycleDirect, 'virtualSecondsPerWallSecond')} virtual s / wall s`, target: '< 5 ms', met: num(lifecycleDirect, 'medianMs') < 5 },
  {
    figure: '2 vmm_get_state per call',
    value: `msw ${micro['msw']} µs, direct ${micro['direct']} µs`,
    detail: `getResponse ${micro['getResponse']} µs, resolvers ${micro['resolvers']} µs, plain ${micro['plain']} µs; msw/direct x${ratios['mswOverDirect']}, msw/getResponse x${ratios['mswOverGetResponse']}, getResponse/plain x${ratios['getResponseOverPlain']}`,
    target: '',
    met: null,
  },
  ...scale.map((r): Row => ({
    figure: `3 scale ${num(r, 'instances')} on ${num(r, 'sleds')} sleds`,
    value: `${(num(r, 'wallMs') / 1000).toFixed(1)} s, ${num(r, 'peakRssMiB')} MiB`,
    detail: `${num(r, 'perInstanceMs')} ms / instance; ${Object.entries((r['phasesMs'] ?? {}) as Record<string, number>).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}`,
    target: num(r, 'instances') === 10_000 ? '< 60 s, < 2 GiB' : '',
    met: num(r, 'instances') === 10_000 ? num(r, 'wallMs') < 60_000 && num(r, 'peakRssMiB') < 2048 : null,
  })),
  {
    figure: '3 scale growth',
    value: `x${growth.toFixed(2)}`,
    detail: `ms per instance at ${num(largest, 'instances')} over at ${first === undefined ? '' : num(first, 'instances')} (1.00 = linear); by phase: ${Object.entries(phaseGrowth).map(([k, v]) => `${k} x${v}`).join(', ')}`,
    target: 'linear (x1.15)',
    met: growth <= 1.15,
  },
  {
    figure: '3 scale 1000, all defaults',
    value: `${(num(scaleDefaults, 'wallMs') / 1000).toFixed(1)} s, ${num(scaleDefaults, 'peakRssMiB')} MiB`,
    detail: `msw, full invariants, full trace: ${num(scaleDefaults, 'perInstanceMs')} ms / instance`,
    target: '',
    met: null,
  },
  { figure: '4 catalogue, vitest', value: `${(num(catalogueVitest, 'wallMs') / 1000).toFixed(2)} s`, detail: String(catalogueVitest['command']), target: '< 10 s', met: num(catalogueVitest, 'wallMs') < 10_000 && num(catalogueVitest, 'exitCode') === 0 },
  { figure: '4 catalogue, CLI', value: `${(num(catalogueCli, 'wallMs') / 1000).toFixed(2)} s`, detail: String(catalogueCli['command']), target: '< 10 s', met: num(catalogueCli, 'wallMs') < 10_000 && num(catalogueCli, 'exitCode') === 0 },
  {
    figure: '5 idle fleet, 1000 running',
    value: `${num(idle, 'simulatedSecondsPerWallSecond')} sim s / wall s`,
    detail: `${num(idle, 'simulatedHours')} simulated h in ${(num(idle, 'wallMs') / 1000).toFixed(0)} s (direct); ${num(idle, 'microsecondsPerExchange')} µs per HTTP exchange`,
    target: '',
    met: null,
  },
]

const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 1024 ** 3, 1) }
const results = {
  machine,
  quick,
  lifecycle: { msw: lifecycleMsw, direct: lifecycleDirect },
  callCost,
  scale,
  scaleGrowth: round(growth, 2),
  scaleGrowthByPhase: phaseGrowth,
  scaleDefaults,
  catalogue: { vitest: catalogueVitest, cli: catalogueCli },
  idleFleet: idle,
}
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`)
process.stdout.write(`\n${renderTable(rows)}\n\nmachine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; written to bench/results.json\n`)
