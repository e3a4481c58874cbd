// Running a scenario: a fresh testbed from its config and seed, each step in order, then the
// invariants. Assertions that fail are recorded and the run goes on; a step that cannot be carried
// out ends the run. The result is the report model every report renders.
import { NexusApiError } from '../nexus/app/errors.ts'
import type { ScenarioRunReport, StepFailure } from './report/report-model.ts'
import { runAction, type RunState } from './run-actions.ts'
import { runExpectation, type ExpectStep } from './run-expect.ts'
import { StepFailed } from './run-refs.ts'
import type { Scenario, Step } from './scenario-schema.ts'
import { createTestbed, type Testbed } from './testbed.ts'

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioRunReport> {
  const tb = await createTestbed({ ...scenario.config, seed: options.seed ?? scenario.seed })
  try {
    return await runScenarioOn(tb, scenario)
  } finally {
    tb.dispose()
  }
}

/** Runs `scenario`'s steps on a testbed made from its config (and leaves the testbed alive). */
export async function runScenarioOn(tb: Testbed, scenario: Scenario): Promise<ScenarioRunReport> {
  const { seed } = tb
  const failures = await runSteps(tb, scenario.steps)
  await tb.settle()
  const violations = tb.invariants()
  const expected = scenario.expectViolations ?? []
  for (const v of violations) {
    if (!expected.includes(v.invariant)) failures.push({ step: null, kind: 'invariant', message: `${v.invariant} violated at ${v.at} ms (${v.subject}): ${v.message}` })
  }
  for (const name of expected) {
    if (!violations.some((v) => v.invariant === name)) failures.push({ step: null, kind: 'invariant', message: `${name} was expected to be violated, and held` })
  }
  const trace = tb.trace()
  return {
    name: scenario.name,
    description: scenario.description,
    seed,
    passed: failures.length === 0,
    failures,
    violations,
    expectedViolations: expected,
    endedAt: tb.elapsed(),
    epochMs: tb.epochMs,
    trace,
    traceHash: tb.traceHash(),
    names: tb.names(),
  }
}

async function runSteps(tb: Testbed, steps: readonly Step[]): Promise<StepFailure[]> {
  const failures: StepFailure[] = []
  const state: RunState = { faults: new Map() }
  for (const [index, step] of steps.entries()) {
    try {
      if (isExpectation(step)) runExpectation(tb, step)
      else await runAction(tb, step, state)
    } catch (error) {
      failures.push({ step: index, kind: step.step, message: describeError(error) })
      // An expectation that failed leaves the testbed as it was; an action that failed does not.
      if (!isExpectation(step)) {
        failures.push({ step: null, kind: 'run', message: `stopped after step ${index}; ${steps.length - index - 1} step(s) not run` })
        break
      }
    }
  }
  return failures
}

function isExpectation(step: Step): step is ExpectStep {
  return step.step.startsWith('expect')
}

function describeError(error: unknown): string {
  if (error instanceof StepFailed) return error.message
  if (error instanceof NexusApiError) return `unexpected ${error.statusCode}${error.errorCode === undefined ? '' : ` ${error.errorCode}`}: ${error.message}`
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}
