import { describe, expect, it } from 'vitest'
import { World } from './harness.ts'
import { SCENARIOS } from './scenarios.ts'

describe('the propolis trace', () => {
  it('records publishes, requests with their outcomes, faults and the process coming and going, one line each', async () => {
    // Arrange
    const world = new World()
    const vm = world.server()

    // Act
    await vm.putState('Run')
    void vm.ensure({ kind: 'spec' })
    await world.clock.advance(500)
    await vm.putState('Reboot')
    await vm.ensure({ kind: 'spec' })
    await vm.putState('Run')
    await world.clock.advance(2000)
    vm.crash()
    await world.clock.advance(1000)
    vm.destroy()

    // Assert
    const id = vm.propolisId
    expect(world.trace.lines()).toEqual([
      `    0.000s  propolis.request  propolis=${id}  request=Run  outcome="424 NoInstance"`,
      `    0.000s  propolis.published  propolis=${id}  gen=1  state=Creating  migration_in=null  migration_out=null`,
      `    0.500s  propolis.request  propolis=${id}  request=ensure  outcome=201`,
      `    0.500s  propolis.request  propolis=${id}  request=Reboot  outcome="403 Operation requires an active instance"`,
      `    0.500s  propolis.request  propolis=${id}  request=ensure  outcome="409 AlreadyInitialized"`,
      `    0.500s  propolis.request  propolis=${id}  request=Run  outcome=queued`,
      `    0.500s  propolis.published  propolis=${id}  gen=2  state=Starting  migration_in=null  migration_out=null`,
      `    2.500s  propolis.published  propolis=${id}  gen=3  state=Running  migration_in=null  migration_out=null`,
      `    2.500s  fault.propolis  propolis=${id}  fault=crash`,
      `    3.500s  propolis.process  propolis=${id}  event=restarted`,
      `    3.500s  propolis.process  propolis=${id}  event=zone_removed`,
    ])
  })

  it('names the faults it injects', () => {
    // Arrange
    const world = new World()
    const vm = world.server()

    // Act
    vm.failNextMigration({ side: 'target' })
    vm.hang(['stop', 'rundown'])
    vm.unhang()
    vm.guestShutdown()

    // Assert
    expect(world.trace.events().map((e) => (e.kind === 'fault.propolis' ? e.fault : e.kind))).toEqual([
      'fail_next_migration target RamPush',
      'hang stop,rundown',
      'unhang',
      'guest_shutdown',
    ])
  })

  it('is byte-identical when every scenario runs twice', async () => {
    // Arrange
    const hashes = async () => {
      const out: string[] = []
      for (const scenario of SCENARIOS) {
        const world = new World()
        await scenario.run(world)
        out.push(world.trace.hash())
      }
      return out
    }

    // Act
    const first = await hashes()
    const second = await hashes()

    // Assert
    expect(second).toEqual(first)
  })
})
