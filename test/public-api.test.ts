import { describe, expect, it } from 'vitest'
import { effectiveInstanceState, parseDuration, Rng, Trace, VirtualClock } from '../scenarios/index.ts'

describe('the package root', () => {
  it('runs the README example as written', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    clock.setTimeout(() => trace.record('note', { text: 'booted' }), parseDuration('2s'))
    await clock.advance(parseDuration('5s'))

    expect(trace.lines()).toEqual(['    2.000s  note  text=booted'])
    expect(new Rng(42).fork('sled-agent').path).toBe('42/sled-agent')
    expect(
      effectiveInstanceState({ instance: { state: 'vmm', migrationId: null }, activeVmm: { state: 'saga_unwound', timeDeleted: null } }),
    ).toEqual({ runState: 'failed', rule: 4, consistent: true })
  })
})
