import fc from 'fast-check'
import type { PropolisUuid } from '../../../sim/kernel/ids.ts'
import { describe, expect, it } from 'vitest'
import type { SledReservationParams } from '../../../nexus/db/reservations.ts'
import type { InstanceRecord, SledRecord } from '../../../nexus/db/records.ts'
import { addSled, addStoppedInstance, GIB, testDb, type TestDb } from './db-fixtures.ts'

function params(t: TestDb, sled: SledRecord, instance: InstanceRecord, state: 'active' | 'target' = 'active'): SledReservationParams {
  return { propolisId: t.ids.uuid('propolis'), sledId: sled.id, instanceId: instance.id, hardwareThreads: 8, reservoirRam: 16 * GIB, state }
}

describe('sledReservationInsert', () => {
  it('reserves the resources and is idempotent on the propolis id', () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t)
    const p = params(t, sled, instance)

    const first = t.db.sledReservationInsert(p)

    expect(first).toEqual({
      kind: 'reserved',
      reservation: { id: p.propolisId, sledId: sled.id, instanceId: instance.id, hardwareThreads: 8, reservoirRam: 16 * GIB, state: 'active' },
    })
    expect(t.db.sledReservationInsert(p)).toEqual(first)
    expect(t.db.sledReservationList()).toHaveLength(1)
  })

  it('answers "Instance already starting" for a second active reservation of an instance', () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t)
    t.db.sledReservationInsert(params(t, sled, instance))

    expect(t.db.sledReservationInsert(params(t, sled, instance))).toEqual({ kind: 'conflict', message: 'Instance already starting' })
    expect(t.db.sledReservationList()).toHaveLength(1)
  })

  it('answers "Instance already migrating" for a second target reservation of an instance', () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t)
    t.db.sledReservationInsert(params(t, sled, instance, 'active'))
    t.db.sledReservationInsert(params(t, sled, instance, 'target'))

    expect(t.db.sledReservationInsert(params(t, sled, instance, 'target'))).toEqual({ kind: 'conflict', message: 'Instance already migrating' })
  })

  it('lets an instance hold a new active reservation next to a tombstoned one', () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t)
    const old = params(t, sled, instance)
    t.db.sledReservationInsert(old)
    t.db.sledReservationSetState(old.propolisId, 'tombstoned')

    expect(t.db.sledReservationInsert(params(t, sled, instance)).kind).toBe('reserved')
  })

  it('refuses a sled that would be over-committed, counting tombstoned reservations too', () => {
    const t = testDb()
    const sled = addSled(t, 'small', { hardwareThreads: 16, reservoirBytes: 64 * GIB })
    const a = addStoppedInstance(t, 'a')
    const first = params(t, sled, a)
    t.db.sledReservationInsert(first)
    t.db.sledReservationSetState(first.propolisId, 'tombstoned')
    t.db.sledReservationInsert(params(t, sled, addStoppedInstance(t, 'b')))

    expect(t.db.sledUsage(sled.id)).toEqual({ hardwareThreads: 16, reservoirRam: 32 * GIB })
    expect(t.db.sledReservationInsert(params(t, sled, addStoppedInstance(t, 'c')))).toEqual({ kind: 'sled_unavailable', reason: 'insufficient_capacity' })
  })

  it('refuses a reservoir that would be over-committed', () => {
    const t = testDb()
    const sled = addSled(t, 'tiny', { reservoirBytes: 20 * GIB })
    t.db.sledReservationInsert(params(t, sled, addStoppedInstance(t, 'a')))

    expect(t.db.sledReservationInsert(params(t, sled, addStoppedInstance(t, 'b')))).toEqual({ kind: 'sled_unavailable', reason: 'insufficient_capacity' })
  })

  it.each(['no_provision', 'expunged'] as const)('refuses a %s sled', (policy) => {
    const t = testDb()
    const sled = addSled(t)
    t.db.sledSetPolicy(sled.id, policy)

    expect(t.db.sledReservationInsert(params(t, sled, addStoppedInstance(t)))).toEqual({ kind: 'sled_unavailable', reason: 'not_in_service' })
  })

  it('refuses an unknown sled', () => {
    const t = testDb()
    const sled = { ...addSled(t), id: t.ids.uuid('sled') }

    expect(t.db.sledReservationInsert(params(t, sled, addStoppedInstance(t)))).toEqual({ kind: 'sled_unavailable', reason: 'no_such_sled' })
  })
})

describe('reservation lifecycle', () => {
  it('swaps source to tombstoned and target to active after a migration, idempotently', () => {
    const t = testDb()
    const sled = addSled(t)
    const instance = addStoppedInstance(t)
    const source = params(t, sled, instance, 'active')
    const target = params(t, sled, instance, 'target')
    t.db.sledReservationInsert(source)
    t.db.sledReservationInsert(target)

    const swap = t.db.sledReservationSwapForMigration(source.propolisId, target.propolisId)

    expect([swap.source?.state, swap.target?.state]).toEqual(['tombstoned', 'active'])
    expect(t.db.sledReservationSwapForMigration(source.propolisId, target.propolisId)).toEqual(swap)
    expect(t.db.sledReservationList({ instanceId: instance.id, state: 'active' }).map((r) => r.id)).toEqual([target.propolisId])
  })

  it('finds and deletes the reservation of a VMM, tolerating a second delete', () => {
    const t = testDb()
    const sled = addSled(t)
    const p = params(t, sled, addStoppedInstance(t))
    t.db.sledReservationInsert(p)

    expect(t.db.sledReservationGet(p.propolisId)?.sledId).toBe(sled.id)
    expect(t.db.sledReservationDelete(p.propolisId).kind).toBe('deleted')
    expect(t.db.sledReservationDelete(p.propolisId)).toEqual({ kind: 'not_found' })
    expect(t.db.sledReservationGet(p.propolisId)).toBeNull()
    expect(t.db.sledUsage(sled.id)).toEqual({ hardwareThreads: 0, reservoirRam: 0 })
    expect(t.db.sledReservationSetState(p.propolisId, 'active')).toEqual({ kind: 'not_found' })
  })

  it('lists reservations by sled', () => {
    const t = testDb()
    const a = addSled(t, 'a')
    const b = addSled(t, 'b')
    const p = params(t, b, addStoppedInstance(t))
    t.db.sledReservationInsert(p)

    expect(t.db.sledReservationList({ sledId: a.id })).toEqual([])
    expect(t.db.sledReservationList({ sledId: b.id }).map((r) => r.id)).toEqual([p.propolisId])
  })
})

describe('sledUsage', () => {
  it('always equals the sum over the sled’s reservations, whatever was inserted, re-stated or deleted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom('insert', 'tombstone', 'delete'), sled: fc.nat(2), pick: fc.nat(20), threads: fc.integer({ min: 1, max: 8 }) }), { maxLength: 40 }),
        (steps) => {
          const t = testDb()
          const sleds = [addSled(t, 'a'), addSled(t, 'b'), addSled(t, 'c')]
          const held: PropolisUuid[] = []
          steps.forEach((step, i) => {
            const sled = sleds[step.sled % sleds.length] as SledRecord
            const existing = held.length === 0 ? undefined : held[step.pick % held.length]
            if (step.op === 'insert' || existing === undefined) {
              const p = { ...params(t, sled, addStoppedInstance(t, `i${i}`)), hardwareThreads: step.threads, reservoirRam: step.threads * GIB }
              if (t.db.sledReservationInsert(p).kind === 'reserved') held.push(p.propolisId)
            } else if (step.op === 'tombstone') t.db.sledReservationSetState(existing, 'tombstoned')
            else t.db.sledReservationDelete(existing)
            for (const s of sleds) {
              const rows = t.db.sledReservationList({ sledId: s.id })
              expect(t.db.sledUsage(s.id)).toEqual({
                hardwareThreads: rows.reduce((sum, r) => sum + r.hardwareThreads, 0),
                reservoirRam: rows.reduce((sum, r) => sum + r.reservoirRam, 0),
              })
            }
          })
        },
      ),
      { numRuns: 100 },
    )
  })
})
