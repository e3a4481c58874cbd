// Hand-written traces for the report tests: events of any kind (declared or not) numbered in order,
// and a run report around them.
import type { TraceEvent, TraceValue } from '../../../sim/kernel/trace.ts'
import type { ScenarioRunReport } from '../../../scenarios/report/report-model.ts'

export type EventSpec = readonly [at: number, kind: string, fields?: { readonly [key: string]: TraceValue }]

export const P1 = '11111111-1111-4111-8111-111111111111'
export const P2 = '22222222-2222-4222-8222-222222222222'
export const I1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'

export function handTrace(...specs: readonly EventSpec[]): TraceEvent[] {
  return specs.map(([at, kind, fields], seq) => ({ seq, at, kind, ...fields }) as unknown as TraceEvent)
}

export function handRun(trace: readonly TraceEvent[], overrides: Partial<ScenarioRunReport> = {}): ScenarioRunReport {
  return {
    name: 'hand',
    description: 'a hand-written trace',
    seed: 1,
    passed: true,
    failures: [],
    violations: [],
    expectedViolations: [],
    endedAt: trace.at(-1)?.at ?? 0,
    epochMs: Date.UTC(2025, 0, 1),
    trace,
    traceHash: 'f'.repeat(64),
    ...overrides,
  }
}

/** A VMM's row as `db.record` writes it. */
export function vmmRow(id: string, state: string, gen: number, op = 'update'): { readonly [key: string]: TraceValue } {
  return { table: 'vmm', op, id, instance: I1, sled: 'sled-id-1', state, gen, failure_reason: null }
}

/** An instance's row as `db.record` writes it. */
export function instanceRow(state: string, gen: number, active: string | null, op = 'update'): { readonly [key: string]: TraceValue } {
  return { table: 'instance', op, id: I1, state, gen, active_propolis_id: active, target_propolis_id: null, migration_id: null, intended_state: 'running' }
}
