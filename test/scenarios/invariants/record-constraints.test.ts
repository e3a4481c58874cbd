import { describe, expect, it } from 'vitest'
import type { SledReservationRecord } from '../../../nexus/db/records.ts'
import { failedVmmState } from '../../../nexus/types/vmm-state.ts'
import { addRunningInstance, addStoppedInstance, addVmm, GIB } from '../../nexus/db/db-fixtures.ts'
import { checkerWorld } from './checker-world.ts'

describe('the record_constraints invariant', () => {
  it('catches an instance row in state vmm without an active VMM', () => {
    const w = checkerWorld()
    const { instance } = addRunningInstance(w.t, 'db1')

    w.checker.observe({ table: 'instance', op: 'update', row: { ...instance, activePropolisId: null } })

    expect(w.found()).toEqual([['record_constraints', `instance ${instance.id}`]])
    expect(w.checker.violations()[0]?.message).toContain('vmm_iff_active_propolis')
  })

  it('catches an instance row pointing at an active VMM while it is not in state vmm', () => {
    const w = checkerWorld()
    const { instance } = addRunningInstance(w.t, 'db1')

    w.checker.observe({ table: 'instance', op: 'update', row: { ...instance, state: 'no_vmm' } })

    expect(w.found()).toEqual([['record_constraints', `instance ${instance.id}`]])
  })

  it('catches a failed VMM row without a failure reason, and a running one with a reason', () => {
    const w = checkerWorld()
    const { vmm: failed } = addRunningInstance(w.t, 'db1', failedVmmState('sled_off'))
    const { vmm: running } = addRunningInstance(w.t, 'db2')

    w.checker.observe({ table: 'vmm', op: 'update', row: { ...failed, failureReason: null } })
    w.checker.observe({ table: 'vmm', op: 'update', row: { ...running, failureReason: 'sled_off' } })

    expect(w.found()).toEqual([
      ['record_constraints', `vmm ${failed.id}`],
      ['record_constraints', `vmm ${running.id}`],
    ])
    expect(w.checker.violations()[0]?.message).toContain('failure_reason_iff_failed')
  })

  it('catches a second active reservation for one instance, and lets a tombstoned one stand beside it', () => {
    const w = checkerWorld()
    const { instance, vmm, sled } = addRunningInstance(w.t, 'db1')
    const held: SledReservationRecord = { id: vmm.id, sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 4 * GIB, state: 'active' }
    w.t.db.sledReservationInsert({ propolisId: held.id, sledId: held.sledId, instanceId: held.instanceId, hardwareThreads: 2, reservoirRam: 4 * GIB, state: 'active' })
    const other = addVmm(w.t, instance, sled)

    w.checker.observe({ table: 'sled_resource_vmm', op: 'insert', row: { ...held, id: other.id, state: 'tombstoned' } })
    const afterTombstone = w.found()
    w.checker.observe({ table: 'sled_resource_vmm', op: 'update', row: { ...held, id: other.id, state: 'active' } })

    expect(afterTombstone).toEqual([])
    expect(w.found()).toEqual([['record_constraints', `instance ${instance.id}`]])
    expect(w.checker.violations()[0]?.message).toContain('single_vmm_reservation_per_state')
  })

  it('forgets a deleted reservation, so the next start may reserve again', () => {
    const w = checkerWorld()
    const { instance, vmm, sled } = addRunningInstance(w.t, 'db1')
    w.t.db.sledReservationInsert({ propolisId: vmm.id, sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 4 * GIB, state: 'active' })
    const next = addVmm(w.t, instance, sled)

    w.t.db.sledReservationDelete(vmm.id)
    w.t.db.sledReservationInsert({ propolisId: next.id, sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 4 * GIB, state: 'active' })

    expect(w.found()).toEqual([])
  })

  it('reports nothing for the rows a real datastore writes', () => {
    const w = checkerWorld()

    addStoppedInstance(w.t, 'db1')
    addRunningInstance(w.t, 'db2', failedVmmState('no_such_instance'))

    expect(w.t.writes.length).toBeGreaterThan(5)
    expect(w.found()).toEqual([])
  })
})

describe('the provisioning_consistent invariant, per write', () => {
  it('catches a collection row that goes negative', () => {
    const w = checkerWorld()

    w.checker.observe({ table: 'virtual_provisioning_collection', op: 'update', row: { projectId: w.t.projectId, cpus: -2, ram: 0 } })
    w.checker.observe({ table: 'virtual_provisioning_collection', op: 'update', row: { collection: 'fleet', cpus: 0, ram: -1 } })

    expect(w.found()).toEqual([
      ['provisioning_consistent', 'fleet'],
      ['provisioning_consistent', `project ${w.t.projectId}`],
    ])
  })

  it('catches an instance resource row with a negative amount', () => {
    const w = checkerWorld()
    const instance = addStoppedInstance(w.t, 'db1')

    w.checker.observe({ table: 'virtual_provisioning_resource', op: 'insert', row: { instanceId: instance.id, projectId: w.t.projectId, cpus: -1, ram: GIB } })

    expect(w.found()).toEqual([['provisioning_consistent', `instance ${instance.id}`]])
  })
})
