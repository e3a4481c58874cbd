import { describe, expect, it } from 'vitest'
import { RecordConstraintViolation } from '../../../nexus/db/constraints.ts'
import type { InstanceRecord } from '../../../nexus/db/records.ts'
import { Tables } from '../../../nexus/db/tables.ts'
import { RecordConstraintError } from '../../../nexus/types/vmm-record.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, addSled, addStoppedInstance, GIB, mustInstance, T0, testDb } from './db-fixtures.ts'

function violation(fn: () => unknown): RecordConstraintViolation {
  try {
    fn()
  } catch (error) {
    if (error instanceof RecordConstraintViolation) return error
    throw error
  }
  throw new Error('expected a constraint violation')
}

describe('vmm_iff_active_propolis', () => {
  it('refuses an instance in state vmm without an active VMM, naming table, row and constraint', () => {
    const t = testDb()
    const instance = addStoppedInstance(t)

    const error = violation(() => t.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'vmm', gen: nextGeneration(instance.gen) }))

    expect(error).toBeInstanceOf(RecordConstraintError)
    expect(error).toMatchObject({ table: 'instance', rowId: instance.id, constraint: 'vmm_iff_active_propolis' })
    expect(error.message).toContain('vmm_iff_active_propolis')
    expect(error.message).toContain(instance.id)
    expect(mustInstance(t, instance.id)).toEqual(instance)
  })

  it('refuses an instance that is not in state vmm but has an active VMM', () => {
    const t = testDb()
    const { instance, vmm } = addRunningInstance(t)

    const error = violation(() =>
      t.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', activePropolisId: vmm.id, gen: nextGeneration(instance.gen) }),
    )

    expect(error.constraint).toBe('vmm_iff_active_propolis')
    expect(mustInstance(t, instance.id)).toEqual(instance)
  })

  it('refuses the commit of an update saga that would break it, and keeps the lock', () => {
    const t = testDb()
    const { instance } = addRunningInstance(t)
    const locked = t.db.instanceTryLock(instance.id, t.ids.uuid('updater'))
    if (locked.kind !== 'locked') throw new Error('lock failed')

    const commit = () =>
      t.db.instanceCommitUpdateAndUnlock(instance.id, locked.lock.updaterId, locked.lock.updaterGen, {
        ...instance,
        activePropolisId: null,
        gen: nextGeneration(instance.gen),
      })

    expect(violation(commit).constraint).toBe('vmm_iff_active_propolis')
    expect(mustInstance(t, instance.id).updaterId).toBe(locked.lock.updaterId)
  })
})

describe('failure_reason_iff_failed', () => {
  it('refuses a failed VMM row without a reason', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)
    const tables = new Tables(() => T0)

    const error = violation(() => tables.putVmm({ ...vmm, state: 'failed', failureReason: null }, 'insert'))

    expect(error).toMatchObject({ table: 'vmm', rowId: vmm.id, constraint: 'failure_reason_iff_failed' })
    expect(tables.vmms.size).toBe(0)
  })

  it('refuses a reason on a VMM row that is not failed', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t)
    const tables = new Tables(() => T0)

    const error = violation(() => tables.putVmm({ ...vmm, state: 'running', failureReason: 'sled_off' }, 'insert'))

    expect(error.constraint).toBe('failure_reason_iff_failed')
    expect(error.message).toContain("state 'running' with failure reason 'sled_off'")
  })
})

describe('single_vmm_reservation_per_state', () => {
  it('refuses a state change that gives an instance two active reservations', () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t)
    const reserve = (state: 'active' | 'target') =>
      t.db.sledReservationInsert({ propolisId: t.ids.uuid('propolis'), sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: GIB, state })
    const active = reserve('active')
    const target = reserve('target')
    if (active.kind !== 'reserved' || target.kind !== 'reserved') throw new Error('reserve failed')

    const error = violation(() => t.db.sledReservationSetState(target.reservation.id, 'active'))

    expect(error).toMatchObject({ table: 'sled_resource_vmm', rowId: target.reservation.id, constraint: 'single_vmm_reservation_per_state' })
    expect(t.db.sledReservationGet(target.reservation.id)?.state).toBe('target')
  })
})

describe('non_negative_provisioning', () => {
  it('refuses a collection that would go negative and writes neither the project nor the fleet', () => {
    const t = testDb()
    const tables = new Tables(() => T0)

    const error = violation(() => tables.adjustCollections(t.projectId, { cpus: -1, ram: 0 }))

    expect(error).toMatchObject({ table: 'virtual_provisioning_collection', constraint: 'non_negative_provisioning' })
    expect(tables.projectProvisioning.size).toBe(0)
    expect(tables.fleetProvisioning).toEqual({ cpus: 0, ram: 0 })
  })

  it('refuses an instance resource row with negative resources', () => {
    const t = testDb()
    const instanceId = t.ids.uuid('instance')

    const error = violation(() => t.db.provisioningAddInstance({ instanceId, projectId: t.projectId, cpus: 2, ram: -1 }))

    expect(error).toMatchObject({ table: 'virtual_provisioning_resource', rowId: instanceId, constraint: 'non_negative_provisioning' })
    expect(t.db.provisioningRead().instances).toEqual([])
  })
})

describe('unique_name', () => {
  it('refuses a second live instance with the same name in a project', () => {
    const t = testDb()
    const first = addStoppedInstance(t, 'db1')
    const tables = new Tables(() => T0)
    tables.putInstance(first, 'insert')
    const twin: InstanceRecord = { ...first, id: t.ids.uuid('instance') }

    expect(violation(() => tables.putInstance(twin, 'insert')).constraint).toBe('unique_name')
  })

  it('refuses a second sled with the same name', () => {
    const t = testDb()
    addSled(t, 'sled-a')

    expect(violation(() => addSled(t, 'sled-a')).constraint).toBe('unique_name')
  })
})
