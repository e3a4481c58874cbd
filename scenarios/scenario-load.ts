// Checking scenario data against the format: a bad scenario is rejected with the step index and the
// field at fault (`steps[3].runState: ...`), before anything runs.
import { readFileSync } from 'node:fs'
import type { z } from 'zod'
import { ScenarioSchema, type Scenario } from './scenario-schema.ts'

export class ScenarioFormatError extends Error {
  override readonly name = 'ScenarioFormatError'
}

/** The scenario if `data` is one; otherwise a ScenarioFormatError naming the step and field. */
export function parseScenario(data: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(data)
  if (parsed.success) return parsed.data
  const lines = parsed.error.issues.slice(0, 5).map((issue) => `  ${describeIssue(data, issue)}`)
  throw new ScenarioFormatError(`${source} is not a valid scenario:\n${lines.join('\n')}`)
}

/** Reads and checks a scenario file (JSON). */
export function loadScenarioFile(path: string): Scenario {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ScenarioFormatError(`read scenario failed: ${path}: ${(error as Error).message}`)
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ScenarioFormatError(`${path} is not JSON: ${(error as Error).message}`)
  }
  return parseScenario(data, path)
}

function describeIssue(data: unknown, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '')
  const [head, index] = issue.path
  const kind = head === 'steps' && typeof index === 'number' ? stepKind(data, index) : null
  const where = kind === null ? path || '(scenario)' : `step ${String(index)} (${kind}): ${path}`
  return `${where}: ${issue.message}`
}

function stepKind(data: unknown, index: number): string | null {
  if (typeof data !== 'object' || data === null) return null
  const steps = (data as { steps?: unknown }).steps
  if (!Array.isArray(steps)) return null
  const step: unknown = steps[index]
  if (typeof step !== 'object' || step === null) return 'not an object'
  const kind = (step as { step?: unknown }).step
  return typeof kind === 'string' ? kind : 'no step kind'
}
