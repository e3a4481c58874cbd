// The whole system end to end: Nexus's sagas and tasks over MSW to simulated sleds and Propolis.
import { afterEach, describe, expect, it } from 'vitest'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

let w: FullWorld
afterEach(() => w.dispose())

const GIB = 1024 ** 3

describe('an instance’s life through Nexus', () => {
  it('is created and started, runs, stops, and is deleted, with the records Omicron would leave', async () => {
    w = createFullWorld()
    const { nexus, h } = w

    const created = await h.settleCall(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await w.clock.advance(10_000)
    const running = nexus.instances.view('db1')
    await h.settleCall(nexus.instances.stop('db1'))
    await w.clock.advance(10_000)
    const stopped = nexus.instances.view('db1')
    const vmm = nexus.db.vmmList({ instanceId: created.id as never })[0]
    await h.settleCall(nexus.instances.delete('db1'))

    expect(created.runState).toBe('starting')
    expect(running.runState).toBe('running')
    expect(stopped.runState).toBe('stopped')
    expect(nexus.db.readView().instance(created.id)).toMatchObject({ state: 'destroyed', activePropolisId: null, intendedState: 'destroyed' })
    expect(vmm).toMatchObject({ state: 'destroyed' })
    expect(nexus.db.provisioningRead().fleet).toEqual({ cpus: 0, ram: 0 })
    expect(nexus.db.sledReservationList()).toEqual([])
    expect(nexus.db.sagaList().map((s) => [s.name, s.state])).toEqual([
      ['instance_create', 'succeeded'],
      ['instance_start', 'succeeded'],
      ['start-instance-update', 'succeeded'],
      ['instance-update', 'succeeded'],
      ['instance_delete', 'succeeded'],
    ])
  })

  it('fails an instance whose VMM the sled lost behind Nexus’s back once the watcher looks, and auto-restarts it', async () => {
    w = createFullWorld()
    const { nexus, h } = w
    await h.settleCall(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await w.clock.advance(10_000)
    const [lost] = nexus.db.vmmList()
    if (lost === undefined) throw new Error('no VMM')
    const sled = h.sleds.find((s) => s.id === lost.sledId)

    sled?.forgetVmm(lost.id)
    await h.settleCall(nexus.activate('instance_watcher'))
    await w.clock.advance(10_000)

    expect(nexus.db.vmmGet(lost.id, { includeDeleted: true })).toMatchObject({ state: 'failed', failureReason: 'no_such_instance' })
    // The update saga left the instance failed and woke reincarnation, which started it again.
    expect(w.trace.lines().some((l) => l.includes('task=instance_reincarnation  reason=on_demand'))).toBe(true)
    expect(nexus.instances.view('db1')).toMatchObject({ runState: 'running', timeLastAutoRestarted: expect.any(String) })
    expect(nexus.db.vmmList({ instanceId: lost.instanceId }).filter((v) => v.state === 'running')).toHaveLength(1)
  })
})
