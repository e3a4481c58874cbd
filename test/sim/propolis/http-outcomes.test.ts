import { describe, expect, it } from 'vitest'
import { migrateIn, startRunning, World } from './harness.ts'

const NO_INSTANCE = { ok: false, error: { kind: 'http', status: 424, errorCode: 'NoInstance', message: 'Server not initialized (no instance)' } }
const ALREADY_INITIALIZED = { ok: false, error: { kind: 'http', status: 409, errorCode: 'AlreadyInitialized', message: 'instance already initialized' } }
const forbidden = (sentence: string) => ({
  ok: false,
  error: { kind: 'http', status: 403, errorCode: `instance state change not allowed: ${sentence}`, message: 'Forbidden' },
})
const connection = (operation: string, how: 'refused' | 'reset', addr: string) => ({
  ok: false,
  error: { kind: 'connection', message: `${operation} failed: connection ${how} (${addr})` },
})

describe('PUT /instance/state', () => {
  it('answers 424 NoInstance before any VM, while creating, during rundown and after it', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()

    // Act
    const before = await vm.putState('Run')
    void vm.ensure({ kind: 'spec' })
    const creating = await vm.putState('Run')
    await world.clock.advance(500)
    await vm.putState('Stop')
    await world.clock.advance(1000)
    const rundown = await vm.putState('Stop')
    await world.clock.advance(200)
    const after = await vm.putState('Run')

    // Assert
    expect([before, creating, rundown, after]).toEqual([NO_INSTANCE, NO_INSTANCE, NO_INSTANCE, NO_INSTANCE])
    expect(vm.state).toBe('Destroyed')
  })

  it('puts a denial reason in the 403 error code with the message "Forbidden"', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    void vm.ensure({ kind: 'spec' })
    await world.clock.advance(500)

    // Act
    const reboot = await vm.putState('Reboot')

    // Assert
    expect(reboot).toEqual(forbidden('Operation requires an active instance'))
  })

  it('answers 204 to a queued or duplicate request and 403 to Run or Reboot once a Stop is pending', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    await startRunning(world, vm)

    // Act
    const results = [await vm.putState('Run'), await vm.putState('Reboot'), await vm.putState('Reboot'), await vm.putState('Stop'), await vm.putState('Stop')]
    const afterStop = [await vm.putState('Run'), await vm.putState('Reboot')]

    // Assert
    expect(results).toEqual(Array(5).fill({ ok: true, value: undefined }))
    expect(afterStop).toEqual([forbidden('Instance is preparing to stop'), forbidden('Instance is preparing to stop')])
  })

  it('lets a migration target importing take Stop but refuse Reboot as still starting', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    const target = world.server()
    void migrateIn(target, source)
    await world.clock.advance(600)

    // Act
    const reboot = await target.putState('Reboot')
    const stop = await target.putState('Stop')

    // Assert
    expect(reboot).toEqual(forbidden('Instance is currently starting'))
    expect(stop).toEqual({ ok: true, value: undefined })
  })

  it('refuses Run on a migrated-out source that is tearing down, and ignores Stop', async () => {
    // Arrange
    const world = new World()
    const source = world.server()
    await startRunning(world, source)
    void migrateIn(world.server(), source)
    await world.clock.advance(3600 + 500)

    // Act
    const state = source.state
    const run = await source.putState('Run')
    const stop = await source.putState('Stop')

    // Assert
    expect(state).toBe('Stopping')
    expect(run).toEqual(forbidden('Instance has migrated out and is being torn down'))
    expect(stop).toEqual({ ok: true, value: undefined })
  })
})

describe('PUT /instance', () => {
  it('answers 409 while a VM is being created, is active or runs down, and accepts a new VM after rundown at gen 1', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    const first = vm.ensure({ kind: 'spec' })

    // Act
    const creating = await vm.ensure({ kind: 'spec' })
    await world.clock.advance(500)
    const active = await vm.ensure({ kind: 'spec' })
    await vm.putState('Stop')
    await world.clock.advance(1000)
    const rundown = await vm.ensure({ kind: 'spec' })
    await world.clock.advance(200)
    const again = vm.ensure({ kind: 'spec' })
    const published = vm.published
    await world.clock.advance(500)

    // Assert
    expect(await first).toEqual({ ok: true, value: { migrate: null } })
    expect([creating, active, rundown]).toEqual([ALREADY_INITIALIZED, ALREADY_INITIALIZED, ALREADY_INITIALIZED])
    expect(await again).toEqual({ ok: true, value: { migrate: null } })
    expect(published).toEqual({ gen: 1, state: 'Creating', migration: { migration_in: null, migration_out: null } })
  })

  it('answers 500 when initialization fails', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    vm.failNextInit()

    // Act
    const ensured = vm.ensure({ kind: 'spec' })
    await world.clock.advance(500)

    // Assert
    expect(await ensured).toEqual({
      ok: false,
      error: { kind: 'http', status: 500, errorCode: null, message: 'VM initialization failed: failed to create VM objects (injected fault)' },
    })
    expect(vm.state).toBe('Failed')
  })

  it('does not answer while init is hung, and answers 201 after unhang', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    vm.hang(['init'])
    let answered = false
    const ensured = vm.ensure({ kind: 'spec' }).then((r) => ((answered = true), r))

    // Act
    await world.clock.advance(60_000)
    const whileHung = answered
    vm.unhang()
    await world.clock.settle()

    // Assert
    expect(whileHung).toBe(false)
    expect(await ensured).toEqual({ ok: true, value: { migrate: null } })
  })
})

describe('a crash and a removed zone', () => {
  it('fails a waiting monitor with a connection error, refuses calls, then answers 424 after the restart', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    await startRunning(world, vm)
    const waiter = vm.monitor(4)

    // Act
    vm.crash()
    const down = [await vm.putState('Stop'), await vm.monitor(0), await vm.ensure({ kind: 'spec' })]
    await world.clock.advance(1000)
    const restarted = [await vm.putState('Stop'), await vm.monitor(0)]

    // Assert
    expect(await waiter).toEqual(connection('monitor', 'reset', vm.addr))
    expect(down).toEqual([connection('put state', 'refused', vm.addr), connection('monitor', 'refused', vm.addr), connection('ensure', 'refused', vm.addr)])
    expect(restarted).toEqual([NO_INSTANCE, NO_INSTANCE])
    expect(vm.published).toBeNull()
  })

  it('stays down for good when the process never restarts', async () => {
    // Arrange
    const world = new World()
    const vm = world.server({ restartAfterCrashMs: null })
    await startRunning(world, vm)

    // Act
    vm.crash()
    await world.clock.advance(3_600_000)

    // Assert
    expect(await vm.monitor(0)).toEqual(connection('monitor', 'refused', vm.addr))
  })

  it('fails pending ensure and monitor calls and every later call once the zone is removed', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()
    const ensured = vm.ensure({ kind: 'spec' })
    const waiter = vm.monitor(2)

    // Act
    vm.destroy()
    await world.runFor()

    // Assert
    expect(await ensured).toEqual(connection('ensure', 'reset', vm.addr))
    expect(await waiter).toEqual(connection('monitor', 'reset', vm.addr))
    expect([await vm.putState('Run'), await vm.ensure({ kind: 'spec' })]).toEqual([
      connection('put state', 'refused', vm.addr),
      connection('ensure', 'refused', vm.addr),
    ])
  })
})
