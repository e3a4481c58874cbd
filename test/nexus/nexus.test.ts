import { afterEach, describe, expect, it } from 'vitest'
import { Nexus } from '../../nexus/nexus.ts'
import { VirtualClock } from '../../sim/kernel/clock.ts'
import { Rng } from '../../sim/kernel/rng.ts'
import { Trace } from '../../sim/kernel/trace.ts'
import { SledHarness } from '../support/sled-harness.ts'

let h: SledHarness | null = null
afterEach(() => h?.dispose())

describe('Nexus', () => {
  it('serves its APIs, knows its sleds, and takes upcalls into its datastore', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    const nexus = new Nexus({ clock, trace, rng: new Rng(1), url: 'http://nexus.nexus-test.sim', mgsUrl: 'http://mgs.nexus-test.sim' })
    h = new SledHarness({ clock, trace, nexusHost: 'nexus.nexus-test.sim', nexusHandlers: () => nexus.handlers() })
    h.sleds.forEach((sled, spSlot) =>
      nexus.addSled({ id: sled.id, name: sled.name, url: sled.url, spSlot, hardwareThreads: 64, reservoirBytes: 256 * 1024 ** 3, cpuFamily: 'amd_milan' }),
    )

    const listed = await fetch(`${nexus.url}/v1/instances?project=default`)
    const upcall = await fetch(`${nexus.url}/vmms/${h.ids.uuid('propolis')}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vmm_state: { state: 'running', gen: 3, time_updated: clock.isoNow() }, migration_in: null, migration_out: null }),
    })

    expect([listed.status, await listed.json()]).toEqual([200, { items: [], next_page: null }])
    expect(upcall.status).toBe(500)
    expect(nexus.db.sledList().map((s) => s.name)).toEqual(['sled-1', 'sled-2'])
    expect(nexus.flags).toEqual({ propagation: 'upcall', recordStartFailures: false, unwoundStartLeaves: 'stopped', failOnAnySledAgentError: false })
    const stranger = h.ids.uuid('sled')
    expect(() => nexus.sledClient(stranger)).toThrow(/not in the inventory/)
  })

  it('runs its background tasks on their production periods, and on demand', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    const nexus = new Nexus({ clock, trace, rng: new Rng(1), url: 'http://nexus.nexus-test-2.sim', mgsUrl: 'http://mgs.nexus-test-2.sim' })

    await clock.advance(60_000)
    const onDemand = await nexus.activate('abandoned_vmm_reaper')

    const activations = trace.lines().filter((l) => l.includes('task.activated')).map((l) => l.replace(/^\s+/, ''))
    expect(activations).toEqual([
      '30.000s  task.activated  task=instance_watcher  reason=period',
      '30.000s  task.activated  task=instance_updater  reason=period',
      // The 60 s timers were set at start, before the others' second ones: they fire first.
      '60.000s  task.activated  task=instance_reincarnation  reason=period',
      '60.000s  task.activated  task=abandoned_vmm_reaper  reason=period',
      '60.000s  task.activated  task=instance_watcher  reason=period',
      '60.000s  task.activated  task=instance_updater  reason=period',
      '60.000s  task.activated  task=abandoned_vmm_reaper  reason=on_demand',
    ])
    expect(onDemand).toMatchObject({ vmms_found: 0 })
    nexus.background.stop()
  })
})
