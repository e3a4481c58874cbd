import { describe, expect, it } from 'vitest'
import { reapAll } from '../../../nexus/background/abandoned-vmm-reaper.ts'
import type { InstanceRecord, SledRecord, VmmRecord } from '../../../nexus/db/records.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm, GIB } from '../../nexus/db/db-fixtures.ts'
import { checkerWorld, type CheckerWorld } from './checker-world.ts'

function reserve(w: CheckerWorld, instance: InstanceRecord, vmm: VmmRecord, sled: SledRecord): void {
  w.t.db.sledReservationInsert({ propolisId: vmm.id, sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 4 * GIB, state: 'active' })
}

/** A failed VMM its instance no longer points at, still holding its reservation. */
function abandonedVmm(w: CheckerWorld): VmmRecord {
  const sled = addSled(w.t)
  const instance = addStoppedInstance(w.t, 'db1')
  const vmm = addVmm(w.t, instance, sled, failedVmmState('sled_off'))
  reserve(w, instance, vmm, sled)
  return vmm
}

function reaperActivated(w: CheckerWorld): void {
  w.trace.record('task.activated', { task: 'abandoned_vmm_reaper', reason: 'period' })
}

function reaperFinished(w: CheckerWorld): void {
  w.trace.record('task.finished', { task: 'abandoned_vmm_reaper', status: {} })
}

describe('the reservation_outlives_vmm invariant', () => {
  it('catches a reaper run that leaves an abandoned VMM’s reservation behind', () => {
    const w = checkerWorld()
    const vmm = abandonedVmm(w)

    reaperActivated(w)
    w.t.advance(5)
    reaperFinished(w)

    expect(w.checker.violations()).toEqual([
      { invariant: 'reservation_outlives_vmm', at: 5, subject: `vmm ${vmm.id}`, message: expect.stringContaining("abandoned in 'failed'") },
    ])
  })

  it('reports nothing once the reaper has freed the reservation and deleted the VMM', () => {
    const w = checkerWorld()
    abandonedVmm(w)

    reaperActivated(w)
    const status = reapAll(w.t.db)
    reaperFinished(w)
    w.checker.checkQuiescent()

    expect(status).toMatchObject({ sled_reservations_deleted: 1, vmms_deleted: 1 })
    expect(w.found()).toEqual([])
  })

  it('does not blame the reaper for a VMM abandoned after its activation began', () => {
    const w = checkerWorld()
    const { instance, vmm, sled } = addRunningInstance(w.t, 'db1', vmmState('running'))
    reserve(w, instance, vmm, sled)

    reaperActivated(w)
    w.t.db.vmmUpdateRuntime(vmm.id, { state: vmmState('destroyed'), generation: nextGeneration(vmm.gen), timeUpdated: w.t.now() })
    w.t.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'no_vmm', activePropolisId: null, gen: nextGeneration(instance.gen) })
    reaperFinished(w)

    expect(w.found()).toEqual([])
  })

  it('leaves the reservation of a destroyed VMM its instance still points at', () => {
    const w = checkerWorld()
    const { instance, vmm, sled } = addRunningInstance(w.t, 'db1', vmmState('destroyed'))
    reserve(w, instance, vmm, sled)

    reaperActivated(w)
    reapAll(w.t.db)
    reaperFinished(w)
    w.checker.checkQuiescent()

    expect(w.t.db.sledReservationGet(vmm.id)).not.toBeNull()
    expect(w.found()).toEqual([])
  })

  it('catches a reservation still held by a soft-deleted VMM at a step boundary', () => {
    const w = checkerWorld()
    const vmm = abandonedVmm(w)

    w.t.db.vmmMarkDeleted(vmm.id)
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['reservation_outlives_vmm', `vmm ${vmm.id}`]])
    expect(w.checker.violations()[0]?.message).toContain("the VMM ('failed') is deleted")
  })
})
