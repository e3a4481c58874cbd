// The scenario format: the builder produces plain JSON data, and bad data is rejected with the step
// index and field at fault before anything runs.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scenario } from '../../scenarios/define.ts'
import { loadScenarioFile, parseScenario, ScenarioFormatError } from '../../scenarios/scenario-load.ts'
import { normaliseConfig, TestbedConfigError } from '../../scenarios/testbed-config.ts'

const base = { name: 'x', description: 'd', seed: 1, config: {} }

function rejection(data: unknown): string {
  try {
    parseScenario(data, 'bad.json')
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioFormatError)
    return (error as Error).message
  }
  throw new Error('expected the scenario to be rejected')
}

describe('the scenario format', () => {
  it('round-trips a built scenario through JSON unchanged', () => {
    const built = scenario({ name: 'round-trip', description: 'd', config: { sleds: 3, nexus: { propagation: 'doorbell' } } })
      .create('a', { ncpus: 2, memory: '4GiB', start: true })
      .runUntil({ instance: 'a', runState: 'running' }, '1m')
      .fault({ target: 'sled-agent', operation: 'vmm_put_state', respond: { status: 500 }, times: 1 })
      .stop('a', { expectError: { status: 500 } })
      .expectVmm({ instance: 'a', which: 0 }, { state: 'running', failureReason: null })
      .build()
    expect(parseScenario(JSON.parse(JSON.stringify(built)))).toEqual(built)
  })

  it('expects an error without an error code with errorCode: null, and says which code it got', async () => {
    const { runScenario } = await import('../../scenarios/run.ts')
    const built = (errorCode: string | null) =>
      scenario({ name: 'codes', description: 'd' }).create('a', { ncpus: 1, memory: '1GiB' }).reboot('a', { expectError: { status: 400, errorCode } }).build()
    expect((await runScenario(built('InvalidRequest'))).failures).toEqual([])
    expect((await runScenario(built(null))).failures[0]?.message).toBe('errorCode: expected none, got InvalidRequest')
  })

  it('checks the sagas of one instance only when expectSagas names it', async () => {
    const { runScenario } = await import('../../scenarios/run.ts')
    const built = scenario({ name: 'per-instance', description: 'd' })
      .create('a', { ncpus: 1, memory: '1GiB', start: true })
      .create('b', { ncpus: 1, memory: '1GiB' })
      .expectSagas({ name: 'instance_create', states: ['succeeded', 'succeeded'] })
      .expectSagas({ instance: 'b', states: ['succeeded'] })
      .expectSagas({ instance: 'a', name: 'instance_start', states: ['unwound'] })
      .build()
    expect((await runScenario(built)).failures.map((f) => [f.step, f.message])).toEqual([[4, 'states: expected unwound, got succeeded']])
  })

  it('names the step index, its kind and the field of a wrong value', () => {
    const message = rejection({ ...base, steps: [{ step: 'settle' }, { step: 'expectInstance', instance: 'a', runState: 'sleeping' }] })
    expect(message).toContain('bad.json is not a valid scenario')
    expect(message).toContain('step 1 (expectInstance): steps[1].runState')
  })

  it('names an unknown field of a step', () => {
    expect(rejection({ ...base, steps: [{ step: 'create', name: 'a', ncpus: 1, memory: '1GiB', strat: true }] })).toContain('step 0 (create): steps[0]')
  })

  it('names an unknown step kind', () => {
    expect(rejection({ ...base, steps: [{ step: 'teleport' }] })).toContain('step 0 (teleport): steps[0].step')
  })

  it('rejects a bad duration and a bad byte size with what was expected', () => {
    expect(rejection({ ...base, steps: [{ step: 'advance', by: 'soon' }] })).toContain("step 0 (advance): steps[0].by: expected a duration")
    expect(rejection({ ...base, steps: [{ step: 'create', name: 'a', ncpus: 1, memory: '4 gigs' }] })).toContain('steps[0].memory: expected bytes')
  })

  it('rejects a bad config field by its path', () => {
    expect(rejection({ ...base, config: { nexus: { propagation: 'pigeon' } }, steps: [{ step: 'settle' }] })).toContain('config.nexus.propagation')
  })

  it('reports a file that is not JSON, and one that does not exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scenario-'))
    writeFileSync(join(dir, 'broken.json'), '{ "name": ')
    expect(() => loadScenarioFile(join(dir, 'broken.json'))).toThrow(/broken\.json is not JSON/)
    expect(() => loadScenarioFile(join(dir, 'absent.json'))).toThrow(/read scenario failed: .*absent\.json/)
  })
})

describe('testbed configuration', () => {
  it('fills in the defaults of DESIGN.md §4', () => {
    const c = normaliseConfig()
    expect(c.seed).toBe(1)
    expect(c.sleds).toEqual([
      { name: 'sled-1', hardwareThreads: 64, reservoirGiB: 256, cpuFamily: 'amd_milan' },
      { name: 'sled-2', hardwareThreads: 64, reservoirGiB: 256, cpuFamily: 'amd_milan' },
    ])
    expect(c.flags).toEqual({})
    expect(c.periods).toEqual({ instance_watcher: 30_000, instance_updater: 30_000, instance_reincarnation: 60_000, abandoned_vmm_reaper: 60_000 })
  })

  it('takes durations as strings and sleds as specs', () => {
    const c = normaliseConfig({ sleds: [{ name: 'big', hardwareThreads: 128 }], nexus: { periods: { instanceWatcher: '10s' } }, propolis: { bootTime: '5s', restartAfterCrash: null } })
    expect(c.sleds[0]).toEqual({ name: 'big', hardwareThreads: 128, reservoirGiB: 256, cpuFamily: 'amd_milan' })
    expect(c.periods.instance_watcher).toBe(10_000)
    expect(c.propolisTiming).toEqual({ bootMs: 5000, restartAfterCrashMs: null })
  })

  it('rejects a bad field by name, and two sleds with one name', () => {
    expect(() => normaliseConfig({ sleds: 0 })).toThrow(TestbedConfigError)
    expect(() => normaliseConfig({ propolis: { bootTime: 'later' } })).toThrow(/config\.propolis\.bootTime/)
    expect(() => normaliseConfig({ sleds: [{ name: 'a' }, { name: 'a' }] })).toThrow(/two sleds are called a/)
  })
})
