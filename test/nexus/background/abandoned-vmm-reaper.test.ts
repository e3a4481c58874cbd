import { describe, expect, it } from 'vitest'
import { reapAll } from '../../../nexus/background/abandoned-vmm-reaper.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, addVmm, testDb } from '../db/db-fixtures.ts'

describe('the abandoned-VMM reaper', () => {
  it('frees the reservation of a destroyable VMM no instance points at, then soft-deletes it', async () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t, 'db1')
    const abandoned = addVmm(t, instance, sled, failedVmmState('sled_off'))
    t.db.sledReservationInsert({ propolisId: abandoned.id, sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 1024 ** 3, state: 'active' })

    const status = reapAll(t.db)
    const again = reapAll(t.db)

    expect(status).toEqual({ vmms_found: 1, sled_reservations_deleted: 1, vmms_deleted: 1, vmms_already_deleted: 0, errors: [] })
    expect(t.db.vmmGet(abandoned.id)).toBeNull()
    expect(t.db.sledReservationGet(abandoned.id)).toBeNull()
    expect(again).toMatchObject({ vmms_found: 0 })
  })

  it('leaves active VMMs alone, even destroyable ones, and VMMs still running', async () => {
    const t = testDb()
    const { vmm: unwoundActive } = addRunningInstance(t, 'db1', vmmState('saga_unwound'))
    const { vmm: running } = addRunningInstance(t, 'db2')
    const { vmm: destroyedActive, instance } = addRunningInstance(t, 'db3', vmmState('running'))
    t.db.vmmUpdateRuntime(destroyedActive.id, { state: vmmState('destroyed'), generation: nextGeneration(destroyedActive.gen), timeUpdated: t.now() })

    const status = reapAll(t.db)

    expect(status).toMatchObject({ vmms_found: 0, vmms_deleted: 0 })
    expect([unwoundActive, running, destroyedActive].map((v) => t.db.vmmGet(v.id) !== null)).toEqual([true, true, true])
    expect(t.db.instanceGet(instance.id)?.activePropolisId).toBe(destroyedActive.id)
  })
})
