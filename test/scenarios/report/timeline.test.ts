import { describe, expect, it } from 'vitest'
import { renderTimeline } from '../../../scenarios/report/timeline.ts'
import { handRun, handTrace, P1 } from './hand-trace.ts'
import { lifecycleRun } from './report-fixture.ts'

const trace = handTrace(
  [0, 'note', { text: 'start db1' }],
  [0, 'http.request', { exchange: 0, from: 'nexus', to: 'sled-agent:sled-1', method: 'PUT', path: `/vmms/${P1}/state`, operation: 'vmm_put_state' }],
  [0, 'sled-agent.vmm', { sled: 'sled-1', propolis: P1, phase: 'ensuring', state: 'starting', gen: 2 }],
  [2000, 'http.response', { exchange: 0, status: 204 }],
  [30_000, 'task.activated', { task: 'instance_watcher', reason: 'period' }],
  [30_000, 'http.request', { exchange: 1, from: 'nexus', to: 'sled-agent:sled-1', method: 'GET', path: `/vmms/${P1}/state`, operation: 'vmm_get_state' }],
  [30_000, 'http.response', { exchange: 1, status: 200 }],
  [30_000, 'nexus.vmm_update', { propolis: P1, state: 'running', gen: 5, outcome: 'ignored' }],
  [30_000, 'task.finished', { task: 'instance_watcher', status: { failed_checks: {} } }],
  [31_000, 'task.activated', { task: 'instance_watcher', reason: 'on_demand' }],
  [31_000, 'http.request', { exchange: 2, from: 'nexus', to: 'sled-agent:sled-1', method: 'GET', path: `/vmms/${P1}/state`, operation: 'vmm_get_state' }],
  [31_000, 'http.response', { exchange: 2, status: 404 }],
  [31_000, 'task.finished', { task: 'instance_watcher', status: { failed_checks: { no_such_instance: 1 } } }],
)
const run = handRun(trace, {
  name: 'lost-vmm',
  seed: 7,
  passed: false,
  endedAt: 40_000,
  failures: [{ step: 3, kind: 'assertInstance', message: 'expected running, found failed' }],
  violations: [{ invariant: 'terminal_vmm_frozen', at: 30_500, subject: `vmm ${P1}`, message: 'failed became running' }],
})

describe('renderTimeline', () => {
  it('heads a run with its name, seed, verdict, failures and violations', () => {
    const head = renderTimeline(run).split('\n').slice(0, 5)

    expect(head).toEqual([
      `=== lost-vmm  seed=7  FAIL  events=13  ended=40.000s  trace=${'f'.repeat(16)}`,
      '    a hand-written trace',
      '    failures: 1  violations: 1  (folded: 5 lines left out, 2 HTTP responses merged)',
      '    failure  step 3 (assertInstance): expected running, found failed',
      `    violation  30.500s  terminal_vmm_frozen  vmm ${P1}: failed became running  [UNEXPECTED]`,
    ])
  })

  it('writes one event a line with virtual time first, answers on their requests, and leaves out quiet task runs', () => {
    const events = renderTimeline(run).split('\n').slice(5)

    expect(events).toEqual([
      '    0.000s  note  text="start db1"',
      `    0.000s  http.request  exchange=0  from=nexus  to=sled-agent:sled-1  method=PUT  path=/vmms/${P1}/state  operation=vmm_put_state  → 204 at 2.000s`,
      `    0.000s  sled-agent.vmm  sled=sled-1  propolis=${P1}  phase=ensuring  state=starting  gen=2`,
      `   30.500s  VIOLATION  terminal_vmm_frozen  vmm ${P1}: failed became running`,
      '   31.000s  task.activated  task=instance_watcher  reason=on_demand',
      `   31.000s  http.request  exchange=2  from=nexus  to=sled-agent:sled-1  method=GET  path=/vmms/${P1}/state  operation=vmm_get_state  → 404`,
      '   31.000s  task.finished  task=instance_watcher  status={"failed_checks":{"no_such_instance":1}}',
      '',
    ])
  })

  it('writes every event as recorded when asked for the full trace', () => {
    const lines = renderTimeline(run, { full: true }).trimEnd().split('\n')

    expect(lines).toHaveLength(3 + 2 + trace.length + 1)
    expect(lines.filter((l) => l.includes('http.response'))).toHaveLength(3)
  })

  it('leaves out the kinds it is told to', () => {
    expect(renderTimeline(run, { omitKinds: ['sled-agent.vmm', 'note'] })).not.toMatch(/sled-agent\.vmm|  note  /)
  })

  it('heads a catalogue with its counts and gives the same text for the same report', () => {
    const catalogue = { title: 'ci', scenarios: [run, { ...run, name: 'ok', passed: true, failures: [], violations: [] }] }

    const text = renderTimeline(catalogue)

    expect(text.split('\n')[0]).toBe('# ci: 2 scenarios, 1 passed, 1 failed')
    expect(text).toContain('=== ok  seed=7  PASS')
    expect(renderTimeline(catalogue)).toBe(text)
  })

  it("folds a real run of the whole system, and gives the same text for the same steps", async () => {
    const run = await lifecycleRun()

    const text = renderTimeline(run)

    expect(text.split('\n')[0]).toMatch(/^=== lifecycle  seed=1  PASS  events=\d+  ended=22\.000s  trace=[0-9a-f]{16}$/)
    expect(text).toMatch(/http\.request .*operation=vmm_put_state  → 200 at 2\.000s\n/)
    expect(text).not.toContain('http.response')
    expect(text.trimEnd().split('\n').length).toBeLessThan(run.trace.length)
    expect(renderTimeline(await lifecycleRun())).toBe(text)
  })
})
