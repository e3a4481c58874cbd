import { describe, expect, it } from 'vitest'
import type { PropolisMonitorResponse, PropolisResult } from '../../../sim/propolis/types.ts'
import { migrateIn, startRunning, World } from './harness.ts'

const NO_INSTANCE = { ok: false, error: { kind: 'http', status: 424, errorCode: 'NoInstance', message: 'Server not initialized (no instance)' } }
const stateOf = (result: PropolisResult<PropolisMonitorResponse>) => (result.ok ? `${result.value.gen} ${result.value.state}` : result.error)

describe('GET /instance/state-monitor', () => {
  it('answers 424 when no VM was ever created', async () => {
    expect(await new World().server().monitor(0)).toEqual(NO_INSTANCE)
  })

  it('answers at once for a gen already reached and waits for a later one', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    void vm.ensure({ kind: 'spec' })
    await world.clock.advance(500)
    await vm.putState('Run')

    // Act
    const now = await vm.monitor(0)
    const later = vm.monitor(3)
    await world.clock.advance(2000)

    // Assert
    expect(stateOf(now)).toBe('2 Starting')
    expect(stateOf(await later)).toBe('3 Running')
  })

  it('gives a waiter only the latest value when several publishes come at once', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    source.failNextMigration({ side: 'source' })
    void migrateIn(world.server(), source)
    await world.clock.advance(300)
    const gen = (source.published?.gen ?? 0) + 1

    // Act
    const pending = source.monitor(gen)
    await world.clock.advance(300)
    const next = await pending

    // Assert
    expect(next.ok ? [next.value.gen, next.value.state, next.value.migration.migration_out?.state] : next.error).toEqual([gen + 1, 'Running', 'Error'])
  })

  it('answers 410 for a gen above the final one once rundown completes, to waiters and later polls', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    await startRunning(world, vm)
    await vm.putState('Stop')
    const waiter = vm.monitor(99)

    // Act
    await world.runFor()
    const final = await vm.monitor(6)
    const beyond = await vm.monitor(7)

    // Assert
    const gone = (gen: number) => ({ ok: false, error: { kind: 'http', status: 410, errorCode: 'NoInstance', message: `No instance present; will never reach generation ${gen}` } })
    expect(await waiter).toEqual(gone(99))
    expect(stateOf(final)).toBe('6 Destroyed')
    expect(beyond).toEqual(gone(7))
  })

  it('follows a VM to the end as the sled-agent polls it, from gen 0 then last gen + 1', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    void vm.ensure({ kind: 'spec' })
    const seen: string[] = []
    const poll = async () => {
      for (let gen = 0; ; ) {
        const result = await vm.monitor(gen)
        if (!result.ok) return result.error
        seen.push(`${result.value.gen} ${result.value.state}`)
        gen = result.value.gen + 1
      }
    }
    const done = poll()

    // Act
    await world.clock.advance(500)
    await vm.putState('Run')
    await world.clock.advance(5000)
    vm.guestShutdown()
    await world.runFor()

    // Assert
    expect(seen).toEqual(['1 Creating', '2 Starting', '3 Running', '4 Stopping', '5 Stopped', '6 Destroyed'])
    expect(await done).toMatchObject({ status: 410, errorCode: 'NoInstance' })
  })
})
