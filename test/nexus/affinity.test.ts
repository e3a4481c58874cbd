// Affinity and anti-affinity groups end to end: the instance API creates them and adds members, and
// the start and migrate sagas place VMMs by where the other members hold reservations.
import { afterEach, describe, expect, it } from 'vitest'
import { NexusApiError } from '../../nexus/app/errors.ts'
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

const GIB = 1024 ** 3
const PLACE = 'Failed to place instance: '
const NOT_FOUND = `Insufficient capacity: ${PLACE}Could not find any valid sled on which this instance can be placed`
const REQUIRED_NOT_VALID = `Insufficient capacity: ${PLACE}This instance must be placed on a specific sled to co-locate it with another instance in its affinity group, but that sled cannot current accept this instance. Consider stopping other instances in this instance's affinity groups, or changing its affinity group membership.`
const TOO_MANY = `${PLACE}This instance belongs to an affinity group that requires it be placed on more than one sled. Instances can only placed on a single sled, so this is impossible to satisfy. Consider stopping other instances in the affinity group.`
const CONFLICTING = `${PLACE}This instance belongs to an affinity group that requires it to be placed on a sled, but also belongs to an anti-affinity group that prevents it from being placed on that sled. These constraints are contradictory. Consider stopping instances in those affinity/anti-affinity groups, or changing group membership.`

let w: FullWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

function world(sleds = 2): FullWorld {
  w = createFullWorld({ sleds })
  return w
}

/** Creates stopped instances (`ncpus` each) in the named groups. */
async function create(fw: FullWorld, names: readonly string[], groups: { antiAffinityGroups?: string[]; affinityGroups?: string[] }, ncpus = 2): Promise<void> {
  for (const name of names) await fw.h.settleCall(fw.nexus.instances.create({ name, ncpus, memory: 4 * GIB, affinity: groups }))
}

function start(fw: FullWorld, name: string) {
  return fw.h.settleCall(fw.nexus.instances.start(name))
}

async function failure(work: Promise<unknown>): Promise<[number, string | undefined, string]> {
  try {
    await work
  } catch (error) {
    if (error instanceof NexusApiError) return [error.statusCode, error.errorCode, error.message]
    throw error
  }
  throw new Error('the call succeeded')
}

/** The sled of the instance's active VMM. */
function sledOf(fw: FullWorld, name: string): string | null {
  const instance = fw.nexus.db.instanceGetByName(fw.nexus.projectId, name)
  const vmm = instance?.activePropolisId == null ? null : fw.nexus.db.vmmGet(instance.activePropolisId)
  return vmm?.sledId ?? null
}

function call<T>(work: () => T): Promise<T> {
  return Promise.resolve().then(work)
}

describe('anti-affinity groups', () => {
  it('with policy fail put members on different sleds and refuse one more than there are sleds with 507', async () => {
    const fw = world(2)
    fw.nexus.instances.antiAffinityGroupCreate({ name: 'spread', policy: 'fail' })
    await create(fw, ['a', 'b', 'c'], { antiAffinityGroups: ['spread'] })
    await start(fw, 'a')
    await start(fw, 'b')

    const error = await failure(start(fw, 'c'))

    expect(error).toEqual([507, 'InsufficientCapacity', NOT_FOUND])
    expect(sledOf(fw, 'a')).not.toBe(sledOf(fw, 'b'))
    expect(fw.nexus.db.instanceGetByName(fw.nexus.projectId, 'c')).toMatchObject({ state: 'no_vmm', intendedState: 'running', activePropolisId: null })
    expect(fw.nexus.db.sagaList({ name: 'instance_start' }).map((s) => [s.state, s.failedNode])).toEqual([
      ['succeeded', null],
      ['succeeded', null],
      ['unwound', 'alloc-server'],
    ])
  })

  it('with policy allow spread members while they can, then let one share a sled', async () => {
    const fw = world(2)
    fw.nexus.instances.antiAffinityGroupCreate({ name: 'spread', policy: 'allow' })
    await create(fw, ['a', 'b', 'c'], { antiAffinityGroups: ['spread'] })

    for (const name of ['a', 'b', 'c']) await start(fw, name)

    expect(sledOf(fw, 'a')).not.toBe(sledOf(fw, 'b'))
    expect([sledOf(fw, 'a'), sledOf(fw, 'b')]).toContain(sledOf(fw, 'c'))
  })

  it('keep a migration off a sled where another member runs', async () => {
    const fw = world(2)
    fw.nexus.instances.antiAffinityGroupCreate({ name: 'spread', policy: 'fail' })
    await create(fw, ['a', 'b'], { antiAffinityGroups: ['spread'] })
    await start(fw, 'a')
    await start(fw, 'b')
    await fw.clock.advance(20_000)
    const bSled = sledOf(fw, 'b')
    if (bSled === null) throw new Error('b has no sled')

    const error = await failure(fw.h.settleCall(fw.nexus.instances.migrate('a', { dstSled: bSled as never })))

    expect(error).toEqual([507, 'InsufficientCapacity', NOT_FOUND])
    expect(fw.nexus.db.sagaList({ name: 'instance_migrate' }).map((s) => [s.state, s.failedNode])).toEqual([['unwound', 'reserve-resources']])
  })
})

describe('affinity groups', () => {
  it('with policy fail put members on one sled, and refuse with 507 once that sled is full', async () => {
    const fw = world(2)
    fw.nexus.instances.affinityGroupCreate({ name: 'together', policy: 'fail' })
    await create(fw, ['a', 'b', 'c'], { affinityGroups: ['together'] }, 24)
    await start(fw, 'a')
    await start(fw, 'b')

    const error = await failure(start(fw, 'c'))

    expect(sledOf(fw, 'b')).toBe(sledOf(fw, 'a'))
    expect(error).toEqual([507, 'InsufficientCapacity', REQUIRED_NOT_VALID])
  })

  it('with policy allow prefer the members’ sled, and use another once it is full', async () => {
    const fw = world(3)
    fw.nexus.instances.affinityGroupCreate({ name: 'together', policy: 'allow' })
    await create(fw, ['a', 'b', 'c'], { affinityGroups: ['together'] }, 24)

    for (const name of ['a', 'b', 'c']) await start(fw, name)

    expect(sledOf(fw, 'b')).toBe(sledOf(fw, 'a'))
    expect(sledOf(fw, 'c')).not.toBe(sledOf(fw, 'a'))
  })

  it('refuse with 400 a member that two fail groups pull to two sleds', async () => {
    const fw = world(2)
    const { instances } = fw.nexus
    instances.antiAffinityGroupCreate({ name: 'apart', policy: 'fail' })
    instances.affinityGroupCreate({ name: 'with-a', policy: 'fail' })
    instances.affinityGroupCreate({ name: 'with-b', policy: 'fail' })
    await create(fw, ['a', 'b'], { antiAffinityGroups: ['apart'] })
    await create(fw, ['c'], {})
    instances.affinityGroupMemberAdd('with-a', 'a')
    instances.affinityGroupMemberAdd('with-a', 'c')
    instances.affinityGroupMemberAdd('with-b', 'b')
    instances.affinityGroupMemberAdd('with-b', 'c')
    await start(fw, 'a')
    await start(fw, 'b')

    const error = await failure(start(fw, 'c'))

    expect(error).toEqual([400, 'InvalidRequest', TOO_MANY])
  })

  it('refuse with 400 a member that one group requires on a sled and another bans from it', async () => {
    const fw = world(2)
    fw.nexus.instances.affinityGroupCreate({ name: 'together', policy: 'fail' })
    fw.nexus.instances.antiAffinityGroupCreate({ name: 'apart', policy: 'fail' })
    await create(fw, ['a', 'b'], { affinityGroups: ['together'], antiAffinityGroups: ['apart'] })
    await start(fw, 'a')

    const error = await failure(start(fw, 'b'))

    expect(error).toEqual([400, 'InvalidRequest', CONFLICTING])
  })

  it('free the sled for other members once the member holding it stops, and forget a deleted member', async () => {
    const fw = world(2)
    fw.nexus.instances.affinityGroupCreate({ name: 'together', policy: 'fail' })
    await create(fw, ['a', 'b', 'c'], { affinityGroups: ['together'] }, 40)
    await start(fw, 'a')
    expect(await failure(start(fw, 'b'))).toEqual([507, 'InsufficientCapacity', REQUIRED_NOT_VALID])
    await fw.h.settleCall(fw.nexus.instances.stop('a'))
    await fw.clock.advance(60_000)
    await fw.h.settleCall(fw.nexus.activate('abandoned_vmm_reaper'))

    await fw.h.settleCall(fw.nexus.instances.delete('a'))
    await start(fw, 'b')

    const ids = fw.nexus.db.affinityGroupList({ kind: 'affinity' }).map((g) => fw.nexus.db.affinityGroupMemberList(g.id))
    const idOf = (name: string) => fw.nexus.db.instanceGetByName(fw.nexus.projectId, name)?.id as InstanceUuid
    expect(ids).toEqual([[idOf('b'), idOf('c')]])
    expect(sledOf(fw, 'b')).not.toBeNull()
  })
})

describe('the group API', () => {
  it('creates groups in the sled failure domain and refuses a name in use with 400 ObjectAlreadyExists', async () => {
    const fw = world()
    const view = fw.nexus.instances.antiAffinityGroupCreate({ name: 'spread', policy: 'fail' })

    const again = await failure(call(() => fw.nexus.instances.antiAffinityGroupCreate({ name: 'spread', policy: 'allow' })))
    const otherKind = fw.nexus.instances.affinityGroupCreate({ name: 'spread', policy: 'allow' })

    expect(view).toMatchObject({ name: 'spread', policy: 'fail', failureDomain: 'sled', description: '', projectId: fw.nexus.projectId })
    expect(again).toEqual([400, 'ObjectAlreadyExists', 'already exists: anti-affinity-group "spread"'])
    expect(otherKind).toMatchObject({ name: 'spread', policy: 'allow' })
  })

  it('answers 404 for an unknown group or instance, group first', async () => {
    const fw = world()
    fw.nexus.instances.affinityGroupCreate({ name: 'together', policy: 'fail' })

    const noGroup = await failure(call(() => fw.nexus.instances.antiAffinityGroupMemberAdd('together', 'nobody')))
    const noInstance = await failure(call(() => fw.nexus.instances.affinityGroupMemberAdd('together', 'nobody')))

    expect(noGroup).toEqual([404, 'ObjectNotFound', 'not found: anti-affinity-group with name "together"'])
    expect(noInstance).toEqual([404, 'ObjectNotFound', 'not found: instance with name "nobody"'])
  })

  it('adds a stopped instance, refuses it twice, and refuses a started one', async () => {
    const fw = world()
    const { instances } = fw.nexus
    instances.antiAffinityGroupCreate({ name: 'spread', policy: 'fail' })
    await create(fw, ['a', 'b'], {})
    await start(fw, 'b')

    const member = instances.antiAffinityGroupMemberAdd('spread', 'a')
    const twice = await failure(call(() => instances.antiAffinityGroupMemberAdd('spread', 'a')))
    const started = await failure(call(() => instances.antiAffinityGroupMemberAdd('spread', 'b')))

    expect(member).toEqual({ type: 'instance', value: { id: instances.view('a').id, name: 'a', runState: 'stopped' } })
    expect(twice).toEqual([400, 'ObjectAlreadyExists', `already exists: anti-affinity-group-member "${instances.view('a').id}"`])
    expect(started).toEqual([400, 'InvalidRequest', 'Instance cannot be added to anti-affinity group with reservation'])
  })

  it('refuses a create naming an unknown group with 404, before anything is created', async () => {
    const fw = world()

    const error = await failure(fw.h.settleCall(fw.nexus.instances.create({ name: 'a', ncpus: 2, memory: GIB, affinity: { antiAffinityGroups: ['nope'] } })))

    expect(error).toEqual([404, 'ObjectNotFound', 'not found: anti-affinity-group with name "nope"'])
    expect(fw.nexus.db.sagaList()).toEqual([])
  })

  it('joins a group named twice in a create once, by name or by id', async () => {
    const fw = world()
    const spread = fw.nexus.instances.antiAffinityGroupCreate({ name: 'spread', policy: 'fail' })

    await create(fw, ['a'], { antiAffinityGroups: ['spread', spread.id, 'spread'] })

    expect(fw.nexus.db.affinityGroupMemberList(spread.id)).toEqual([fw.nexus.instances.view('a').id])
  })
})
