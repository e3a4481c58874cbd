import { describe, expect, it } from 'vitest'
import { GROUP_MAX_MEMBERS } from '../../../nexus/db/affinity-queries.ts'
import type { AffinityGroupKind, AffinityPolicy, InstanceRecord, SledRecord } from '../../../nexus/db/records.ts'
import { addSled, addStoppedInstance, GIB, testDb, type TestDb } from './db-fixtures.ts'

function group(t: TestDb, kind: AffinityGroupKind, name: string, policy: AffinityPolicy = 'fail'): string {
  const id = kind === 'affinity' ? t.ids.uuid('affinity_group') : t.ids.uuid('anti_affinity_group')
  const outcome = t.db.affinityGroupCreate({ kind, id, projectId: t.projectId, name, description: '', policy })
  if (outcome.kind !== 'created') throw new Error(`fixture failed: ${outcome.kind}`)
  return outcome.group.id
}

function reserve(t: TestDb, instance: InstanceRecord, sled: SledRecord, state: 'active' | 'target' | 'tombstoned' = 'active') {
  const outcome = t.db.sledReservationInsert({ propolisId: t.ids.uuid('propolis'), sledId: sled.id, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 4 * GIB, state: state === 'tombstoned' ? 'active' : state })
  if (outcome.kind !== 'reserved') throw new Error(`fixture failed: ${outcome.kind}`)
  if (state === 'tombstoned') t.db.sledReservationSetState(outcome.reservation.id, 'tombstoned')
  return outcome.reservation
}

describe('affinityGroupCreate', () => {
  it('creates a group in the sled failure domain, and refuses a second live group of its kind with the name', () => {
    const t = testDb()
    const id = group(t, 'anti_affinity', 'spread')

    const again = t.db.affinityGroupCreate({ kind: 'anti_affinity', id: t.ids.uuid('anti_affinity_group'), projectId: t.projectId, name: 'spread', description: '', policy: 'allow' })

    expect(again).toEqual({ kind: 'name_in_use' })
    expect(t.db.affinityGroupGet('anti_affinity', id)).toMatchObject({ kind: 'anti_affinity', name: 'spread', policy: 'fail', failureDomain: 'sled', timeDeleted: null })
    expect(t.writes.map((w) => `${w.table} ${w.op}`)).toEqual(['anti_affinity_group insert'])
  })

  it('lets an affinity group and an anti-affinity group share a name, as omicron’s two tables do', () => {
    const t = testDb()
    group(t, 'anti_affinity', 'web')

    group(t, 'affinity', 'web')

    expect(t.db.affinityGroupList().map((g) => `${g.kind}:${g.name}`)).toEqual(['anti_affinity:web', 'affinity:web'])
    expect(t.db.affinityGroupGetByName('affinity', t.projectId, 'web')?.kind).toBe('affinity')
  })

  it('finds a group only under its own kind', () => {
    const t = testDb()
    const id = group(t, 'affinity', 'together')

    expect(t.db.affinityGroupGet('anti_affinity', id)).toBeNull()
  })
})

describe('affinityGroupMemberAdd', () => {
  it('adds a stopped instance once, and answers already_member after that', () => {
    const t = testDb()
    const g = group(t, 'anti_affinity', 'spread')
    const a = addStoppedInstance(t, 'a')

    const first = t.db.affinityGroupMemberAdd('anti_affinity', g, a.id)
    const second = t.db.affinityGroupMemberAdd('anti_affinity', g, a.id)

    expect(first).toEqual({ kind: 'added', membership: { kind: 'anti_affinity', groupId: g, instanceId: a.id } })
    expect(second).toEqual({ kind: 'already_member' })
    expect(t.db.affinityGroupMemberList(g)).toEqual([a.id])
  })

  it('refuses an instance that holds a reservation, in any state', () => {
    const t = testDb()
    const sled = addSled(t)
    const g = group(t, 'affinity', 'together')
    const a = addStoppedInstance(t, 'a')
    reserve(t, a, sled, 'tombstoned')

    expect(t.db.affinityGroupMemberAdd('affinity', g, a.id)).toEqual({ kind: 'has_reservation', message: 'Instance cannot be added to affinity group with reservation' })
  })

  it('refuses a 33rd member with omicron’s message', () => {
    const t = testDb()
    const g = group(t, 'anti_affinity', 'spread')
    for (let i = 0; i < GROUP_MAX_MEMBERS; i += 1) t.db.affinityGroupMemberAdd('anti_affinity', g, addStoppedInstance(t, `m${i}`).id)

    const outcome = t.db.affinityGroupMemberAdd('anti_affinity', g, addStoppedInstance(t, 'one-too-many').id)

    expect(outcome).toEqual({ kind: 'group_full', message: 'Anti-affinity group already has maximum allowed members (32)' })
  })

  it('refuses a 17th group of one kind for an instance, but not a group of the other kind', () => {
    const t = testDb()
    const a = addStoppedInstance(t, 'a')
    for (let i = 0; i < 16; i += 1) t.db.affinityGroupMemberAdd('affinity', group(t, 'affinity', `g${i}`), a.id)

    const seventeenth = t.db.affinityGroupMemberAdd('affinity', group(t, 'affinity', 'g16'), a.id)
    const other = t.db.affinityGroupMemberAdd('anti_affinity', group(t, 'anti_affinity', 'spread'), a.id)

    expect(seventeenth).toEqual({ kind: 'too_many_groups', message: 'Instance already belongs to maximum allowed affinity groups (16)' })
    expect(other.kind).toBe('added')
  })

  it('answers group_not_found for a group of the other kind and instance_not_found for a deleted instance', () => {
    const t = testDb()
    const g = group(t, 'affinity', 'together')
    const a = addStoppedInstance(t, 'a')
    t.db.instanceMarkDestroyed(a.id)

    expect(t.db.affinityGroupMemberAdd('anti_affinity', g, a.id)).toEqual({ kind: 'group_not_found' })
    expect(t.db.affinityGroupMemberAdd('affinity', g, a.id)).toEqual({ kind: 'instance_not_found' })
  })
})

describe('an instance’s memberships', () => {
  it('go when the instance is deleted', () => {
    const t = testDb()
    const spread = group(t, 'anti_affinity', 'spread')
    const together = group(t, 'affinity', 'together')
    const a = addStoppedInstance(t, 'a')
    t.db.affinityGroupMemberAdd('anti_affinity', spread, a.id)
    t.db.affinityGroupMemberAdd('affinity', together, a.id)

    t.db.instanceMarkDestroyed(a.id)

    expect([t.db.affinityGroupMemberList(spread), t.db.affinityGroupMemberList(together)]).toEqual([[], []])
    expect(t.writes.filter((w) => w.op === 'delete').map((w) => w.table)).toEqual(['anti_affinity_group_instance_membership', 'affinity_group_instance_membership'])
  })
})

describe('sledAffinityTags', () => {
  it('tags the sleds of the other members’ reservations, any state, with each group’s kind and policy', () => {
    const t = testDb()
    const [s1, s2, s3] = [addSled(t, 's1'), addSled(t, 's2'), addSled(t, 's3')]
    const spread = group(t, 'anti_affinity', 'spread', 'fail')
    const together = group(t, 'affinity', 'together', 'allow')
    const [me, a, b, stranger] = ['me', 'a', 'b', 'stranger'].map((n) => addStoppedInstance(t, n)) as [InstanceRecord, InstanceRecord, InstanceRecord, InstanceRecord]
    for (const i of [me, a]) t.db.affinityGroupMemberAdd('anti_affinity', spread, i.id)
    for (const i of [me, b]) t.db.affinityGroupMemberAdd('affinity', together, i.id)
    reserve(t, a, s1)
    reserve(t, a, s2, 'target')
    reserve(t, b, s3, 'tombstoned')
    reserve(t, stranger, s3)
    reserve(t, me, s3)

    expect(t.db.sledAffinityTags(me.id)).toEqual([
      { sledId: s1.id, kind: 'anti_affinity', policy: 'fail' },
      { sledId: s2.id, kind: 'anti_affinity', policy: 'fail' },
      { sledId: s3.id, kind: 'affinity', policy: 'allow' },
    ])
  })
})

describe('sledReservationInsert under strict groups', () => {
  it('refuses a sled where a member of a fail anti-affinity group holds a reservation', () => {
    const t = testDb()
    const sled = addSled(t)
    const g = group(t, 'anti_affinity', 'spread', 'fail')
    const [a, b] = [addStoppedInstance(t, 'a'), addStoppedInstance(t, 'b')]
    for (const i of [a, b]) t.db.affinityGroupMemberAdd('anti_affinity', g, i.id)
    reserve(t, a, sled)

    const outcome = t.db.sledReservationInsert({ propolisId: t.ids.uuid('propolis'), sledId: sled.id, instanceId: b.id, hardwareThreads: 2, reservoirRam: GIB, state: 'active' })

    expect(outcome).toEqual({ kind: 'sled_unavailable', reason: 'banned_by_anti_affinity' })
  })

  it('refuses any sled but the one where members of a fail affinity group hold reservations', () => {
    const t = testDb()
    const [s1, s2] = [addSled(t, 's1'), addSled(t, 's2')]
    const g = group(t, 'affinity', 'together', 'fail')
    const [a, b] = [addStoppedInstance(t, 'a'), addStoppedInstance(t, 'b')]
    for (const i of [a, b]) t.db.affinityGroupMemberAdd('affinity', g, i.id)
    reserve(t, a, s1)
    const insert = (sled: SledRecord) => t.db.sledReservationInsert({ propolisId: t.ids.uuid('propolis'), sledId: sled.id, instanceId: b.id, hardwareThreads: 2, reservoirRam: GIB, state: 'active' })

    expect(insert(s2)).toEqual({ kind: 'sled_unavailable', reason: 'not_required_by_affinity' })
    expect(insert(s1).kind).toBe('reserved')
  })

  it('lets allow groups through: they only steer the choice', () => {
    const t = testDb()
    const sled = addSled(t)
    const g = group(t, 'anti_affinity', 'spread', 'allow')
    const [a, b] = [addStoppedInstance(t, 'a'), addStoppedInstance(t, 'b')]
    for (const i of [a, b]) t.db.affinityGroupMemberAdd('anti_affinity', g, i.id)
    reserve(t, a, sled)

    expect(t.db.sledReservationInsert({ propolisId: t.ids.uuid('propolis'), sledId: sled.id, instanceId: b.id, hardwareThreads: 2, reservoirRam: GIB, state: 'active' }).kind).toBe('reserved')
  })
})
