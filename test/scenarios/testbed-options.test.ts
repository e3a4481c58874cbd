// The options for large runs: how much of the invariant checking runs (`invariants`), and whether the
// trace keeps its events or only their counts (`trace`). Defaults are the full checks and the full trace.
import { describe, expect, it } from 'vitest'
import { parseScenario, ScenarioFormatError } from '../../scenarios/scenario-load.ts'
import { createTestbed, type Testbed } from '../../scenarios/testbed.ts'
import { TestbedConfigError, type InvariantLevel } from '../../scenarios/testbed-config.ts'

const GiB = 1024 ** 3

// omicron#5042 in short: a start saga gives up on a slow Run and unwinds, its unregister is lost,
// and the abandoned VMM boots anyway, so a `saga_unwound` row changes state (terminal_vmm_frozen,
// a per-write check). Then a request to a `.sim` host nobody serves (no_request_leaves, a global check).
async function breakOneOfEach(tb: Testbed): Promise<void> {
  await tb.nexus.instanceCreate({ name: 'vm', ncpus: 2, memory: 4 * GiB })
  tb.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { delay: '90s' } })
  tb.faults.inject({ target: 'sled-agent', operation: 'vmm_unregister', times: 1, respond: 'network_error' })
  await expect(tb.nexus.instanceStart('vm')).rejects.toMatchObject({ statusCode: 500 })
  await tb.advance('1m')
  await fetch('http://nobody-serves-this.sim/').catch(() => undefined)
  await tb.settle()
}

describe('createTestbed({ invariants })', () => {
  it.each([
    ['full', ['no_request_leaves', 'terminal_vmm_frozen']],
    ['writes', ['terminal_vmm_frozen']],
    ['off', []],
  ] as const)('with %s finds %j', async (level: InvariantLevel, expected) => {
    await using tb = await createTestbed({ invariants: level })
    await breakOneOfEach(tb)

    expect([...new Set(tb.invariants().map((v) => v.invariant))].sort()).toEqual(expected)
  })

  it('checks everything by default', async () => {
    await using tb = await createTestbed()
    await breakOneOfEach(tb)

    expect(new Set(tb.invariants().map((v) => v.invariant))).toEqual(new Set(['no_request_leaves', 'terminal_vmm_frozen']))
  })

  it('rejects a level it does not know, naming the field', async () => {
    await expect(createTestbed({ invariants: 'some' as InvariantLevel })).rejects.toThrow(TestbedConfigError)
    await expect(createTestbed({ invariants: 'some' as InvariantLevel })).rejects.toThrow(/config\.invariants/)
  })
})

describe('createTestbed({ trace })', () => {
  async function lifecycle(tb: Testbed): Promise<void> {
    await tb.nexus.instanceCreate({ name: 'web', ncpus: 2, memory: 4 * GiB, start: true })
    await tb.runUntil(() => tb.nexus.instanceView('web').runState === 'running', { timeout: '1m' })
    await tb.activate('abandoned_vmm_reaper')
    await tb.nexus.instanceStop('web')
    await tb.runUntil(() => tb.nexus.instanceView('web').runState === 'stopped', { timeout: '1m' })
  }

  it('with counts keeps no events but the same counts, and runs the same', async () => {
    await using full = await createTestbed()
    await using counted = await createTestbed({ trace: 'counts' })
    await lifecycle(full)
    await lifecycle(counted)

    expect(counted.trace()).toEqual([])
    expect(counted.traceLines()).toEqual([])
    expect(counted.traceCounts()).toEqual(full.traceCounts())
    expect(Object.values(full.traceCounts()).reduce((a, b) => a + b, 0)).toBe(full.trace().length)
    expect(counted.nexus.instanceView('web')).toEqual(full.nexus.instanceView('web'))
    expect(counted.now()).toBe(full.now())
    expect(counted.invariants()).toEqual([])
  })

  it('keeps every event by default', async () => {
    await using tb = await createTestbed()
    await lifecycle(tb)

    const events = tb.trace()
    expect(events.length).toBeGreaterThan(50)
    expect(tb.traceCounts()['saga.started']).toBe(events.filter((e) => e.kind === 'saga.started').length)
  })
})

describe('a scenario file', () => {
  it.each([{ transport: 'direct' }, { invariants: 'off' }, { trace: 'counts' }])('cannot carry the run option %j', (option) => {
    const scenario = { name: 'x', description: 'x', seed: 1, config: option, steps: [{ step: 'advance', by: '1s' }] }

    expect(() => parseScenario(scenario)).toThrow(ScenarioFormatError)
    expect(() => parseScenario({ ...scenario, config: {} })).not.toThrow()
  })
})
