// The scenario catalogue as an integration suite: every scenario passes (every assertion and
// invariant held), and the catalogue covers what the testbed issue asks for.
import { describe, expect, it } from 'vitest'
import { CATALOGUE } from '../scenarios/catalog/index.ts'
import { runScenario } from '../scenarios/run.ts'

describe('the scenario catalogue', () => {
  it.each(CATALOGUE.map((s) => [s.name, s] as const))('%s passes', async (_name, scenario) => {
    const report = await runScenario(scenario)
    expect(report.failures.map((f) => `${f.step === null ? '' : `step ${f.step} `}${f.kind}: ${f.message}`)).toEqual([])
    expect(report.passed).toBe(true)
  })
})
