// `testbed`: the command line (DESIGN.md §5). `list` names the catalogue; `run` runs scenarios by name
// or file and writes the reports; `replay` runs one scenario file and prints its timeline; `serve`
// runs a scenario and serves the instance API of its Nexus on 127.0.0.1. Exit code 0 only when every
// assertion and invariant held.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { canonicalJson } from '../sim/kernel/trace.ts'
import { CATALOGUE, catalogueScenario } from './catalog/index.ts'
import { renderHtmlReport, renderTimeline } from './report/index.ts'
import type { CatalogueReport, ScenarioRunReport } from './report/report-model.ts'
import { runScenario } from './run.ts'
import { loadScenarioFile, ScenarioFormatError } from './scenario-load.ts'
import type { Scenario } from './scenario-schema.ts'
import { serveScenario } from './serve.ts'

const USAGE = `usage: testbed <command> [options]

commands:
  list                               name every scenario in the catalogue
  run [names|files.json] [options]   run scenarios (all of the catalogue when none is named)
      --seed N                       run with this seed instead of each scenario's own
      --trace out.jsonl              write the trace (one canonical JSON event a line)
      --report out.html              write the HTML report
      --timeline                     print each scenario's timeline
  replay file.json [--seed N]        run one scenario file and print its timeline
  show name                          print a catalogue scenario as JSON (to edit and replay)
  serve [name|file.json] [--port N]  run a scenario, then serve its Nexus's instance API on 127.0.0.1
`

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'list':
        return list()
      case 'run':
        return await run(rest, false)
      case 'replay':
        return await run(rest, true)
      case 'show':
        return show(rest)
      case 'serve':
        return await serve(rest)
      default:
        process.stderr.write(command === undefined ? USAGE : `testbed: unknown command '${command}'\n\n${USAGE}`)
        return 2
    }
  } catch (error) {
    if (error instanceof ScenarioFormatError || error instanceof UsageError) {
      process.stderr.write(`testbed: ${error.message}\n`)
      return 2
    }
    throw error
  }
}

class UsageError extends Error {
  override readonly name = 'UsageError'
}

function list(): number {
  const width = Math.max(...CATALOGUE.map((s) => s.name.length))
  for (const s of CATALOGUE) process.stdout.write(`${s.name.padEnd(width)}  ${s.description.split('. ')[0] ?? ''}\n`)
  process.stdout.write(`${CATALOGUE.length} scenarios\n`)
  return 0
}

function show(args: readonly string[]): number {
  const [name] = args
  const found = name === undefined ? undefined : catalogueScenario(name)
  if (found === undefined) throw new UsageError(`show: no catalogue scenario called ${String(name)}`)
  process.stdout.write(`${JSON.stringify(found, null, 2)}\n`)
  return 0
}

/** Scenarios named on the command line: catalogue names or JSON files; all of the catalogue if none. */
function pick(names: readonly string[]): Scenario[] {
  if (names.length === 0) return [...CATALOGUE]
  return names.map((name) => {
    if (name.endsWith('.json')) return loadScenarioFile(name)
    const found = catalogueScenario(name)
    if (found === undefined) throw new UsageError(`no catalogue scenario called ${name} (see 'testbed list'; files must end in .json)`)
    return found
  })
}

function seedOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seed = Number(value)
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer (got ${value})`)
  return seed
}

async function run(args: readonly string[], replay: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { seed: { type: 'string' }, trace: { type: 'string' }, report: { type: 'string' }, timeline: { type: 'boolean' } },
  })
  if (replay && positionals.length !== 1) throw new UsageError('replay takes exactly one scenario file')
  const scenarios = pick(positionals)
  const seed = seedOption(values.seed)
  const reports: ScenarioRunReport[] = []
  const progress = scenarios.length > 1 && process.stderr.isTTY
  for (const [i, s] of scenarios.entries()) {
    if (progress) process.stderr.write(`\r\x1b[K[${i + 1}/${scenarios.length}] ${s.name}`)
    const report = await runScenario(s, seed === undefined ? {} : { seed })
    reports.push(report)
    if (progress) process.stderr.write('\r\x1b[K')
    process.stdout.write(`${report.passed ? 'PASS' : 'FAIL'}  ${report.name}  (seed ${report.seed}, ${report.trace.length} events, trace ${report.traceHash.slice(0, 12)})\n`)
    for (const f of report.failures) process.stdout.write(`      ${f.step === null ? '' : `step ${f.step} `}${f.kind}: ${f.message}\n`)
  }
  const catalogue: CatalogueReport = { title: replay ? `replay of ${positionals[0] ?? ''}` : 'omicron-testbed scenarios', scenarios: reports }
  if (replay || values.timeline === true) process.stdout.write(`${renderTimeline(catalogue)}\n`)
  if (values.trace !== undefined) writeCreatingFolders(values.trace, reports.map((r) => r.trace.map((e) => canonicalJson({ scenario: r.name, ...e })).join('\n')).join('\n') + '\n')
  if (values.report !== undefined) {
    writeCreatingFolders(values.report, renderHtmlReport(catalogue))
    process.stdout.write(`report: ${values.report}\n`)
  }
  const passed = reports.filter((r) => r.passed).length
  process.stdout.write(`${passed} passed, ${reports.length - passed} failed\n`)
  return passed === reports.length ? 0 : 1
}

function writeCreatingFolders(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

async function serve(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true, options: { port: { type: 'string' }, seed: { type: 'string' } } })
  const [name] = positionals
  const [scenario] = pick(name === undefined ? ['happy-lifecycle'] : [name])
  if (scenario === undefined) throw new UsageError('serve: no scenario')
  const port = values.port === undefined ? 12220 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a TCP port (got ${values.port ?? ''})`)
  const seed = seedOption(values.seed)
  await serveScenario(scenario, { port, ...(seed === undefined ? {} : { seed }) }, (line) => process.stdout.write(`${line}\n`))
  return 0
}

// Run only as the program (`tsx scenarios/cli.ts`), not when bin.js or a test imports `main`.
if (process.argv[1] !== undefined && /scenarios[/\\]cli\.ts$/.test(process.argv[1])) {
  process.exitCode = await main(process.argv.slice(2))
}
