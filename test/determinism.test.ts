// Determinism is the product: every catalogue scenario, run twice in this process and once in a
// second process, produces a byte-identical trace (equal SHA-256 of the canonical JSONL).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { CATALOGUE } from '../scenarios/catalog/index.ts'
import { runScenario } from '../scenarios/run.ts'

const run = promisify(execFile)

describe('replaying the catalogue', () => {
  it.each(CATALOGUE.map((s) => [s.name, s] as const))('%s traces the same bytes twice in one process', async (_name, scenario) => {
    const first = await runScenario(scenario)
    const second = await runScenario(scenario)
    expect(second.trace.length).toBe(first.trace.length)
    expect(second.traceHash).toBe(first.traceHash)
  })

  it('traces the same bytes in a second process', async () => {
    const here: Record<string, string> = {}
    for (const scenario of CATALOGUE) here[scenario.name] = (await runScenario(scenario)).traceHash
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'test/support/trace-hashes.ts'], { maxBuffer: 16 * 1024 * 1024 })
    expect(JSON.parse(stdout) as Record<string, string>).toEqual(here)
  }, 120_000)

  it('traces different bytes for a different seed', async () => {
    const [scenario] = CATALOGUE
    if (scenario === undefined) throw new Error('empty catalogue')
    expect((await runScenario(scenario, { seed: 99 })).traceHash).not.toBe((await runScenario(scenario)).traceHash)
  })
})
