import { afterEach, describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import { instanceStartSaga } from '../../../nexus/sagas/instance-start.ts'
import { GIB, StartWorld, type InstanceShape, type StartWorldOptions } from '../../support/start-world.ts'

const NO_SLED = 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed'

let w: StartWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

function world(options: StartWorldOptions = {}): StartWorld {
  w = new StartWorld(options)
  return w
}

describe('placement when starting an instance', () => {
  it.each<[string, StartWorldOptions, InstanceShape]>([
    ['no sled has enough hardware threads', { sleds: [{ hardwareThreads: 16 }, { hardwareThreads: 16 }] }, { ncpus: 32 }],
    ['no sled has enough reservoir', { sleds: [{ reservoirGiB: 8 }, { reservoirGiB: 8 }] }, { memoryGiB: 16 }],
    ['every sled is expunged', { sleds: [{ policy: 'expunged' }, { policy: 'expunged' }] }, {}],
    ['the only sled with room is not provisionable', { sleds: [{ policy: 'no_provision' }, { hardwareThreads: 1 }] }, {}],
    ['no sled has the CPU family the instance needs', { sleds: 2 }, { cpuPlatform: 'amd_turin' }],
  ])('answers 507 when %s, and changes nothing about the instance', async (_name, options, shape) => {
    const sw = world(options)
    const instance = sw.stoppedInstance('db1', shape)

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect([error.statusCode, error.errorCode, error.message]).toEqual([507, 'InsufficientCapacity', NO_SLED])
    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', gen: instance.gen, intendedState: 'running', activePropolisId: null })
    expect(sw.db.vmmList()).toEqual([])
    expect(sw.db.sagaList().map((s) => [s.state, s.failedNode])).toEqual([['unwound', 'alloc-server']])
  })

  it('places an instance that needs Turin on the Turin sled, and its VMM keeps the instance’s platform', async () => {
    const sw = world({ sleds: [{ cpuFamily: 'amd_milan' }, { cpuFamily: 'amd_turin' }, { cpuFamily: 'amd_milan' }] })
    const instance = sw.stoppedInstance('db1', { cpuPlatform: 'amd_turin' })

    await sw.drive(sw.start(instance.id))

    expect(sw.db.vmmList().map((v) => [v.sledId, v.cpuPlatform])).toEqual([[sw.h.sled(1).id, 'amd_turin']])
  })

  it('gives a VMM of an instance without a platform its sled family’s minimum platform', async () => {
    const sw = world({ sleds: [{ cpuFamily: 'amd_turin' }] })
    const instance = sw.stoppedInstance('db1')

    await sw.drive(sw.start(instance.id))

    expect(sw.db.vmmList().map((v) => v.cpuPlatform)).toEqual(['amd_milan'])
  })

  it('counts every reservation on a sled against it, so a full sled is skipped', async () => {
    const sw = world({ sleds: [{ hardwareThreads: 8 }, { hardwareThreads: 8 }] })
    const a = sw.stoppedInstance('a', { ncpus: 6 })
    const b = sw.stoppedInstance('b', { ncpus: 6 })

    await sw.drive(sw.start(a.id))
    await sw.drive(sw.start(b.id))

    const sledOf = (id: typeof a.id) => sw.db.vmmList({ instanceId: id })[0]?.sledId
    expect(new Set([sledOf(a.id), sledOf(b.id)]).size).toBe(2)
  })

  it('lets exactly one of two instances racing for the last slot win; the other gets 507', async () => {
    const sw = world({ sleds: [{ hardwareThreads: 8 }] })
    const a = sw.stoppedInstance('a', { ncpus: 6 })
    const b = sw.stoppedInstance('b', { ncpus: 6 })

    const results = await sw.drive(Promise.allSettled([sw.start(a.id), sw.start(b.id)]))

    const [won, lost] = results
    expect(won?.status).toBe('fulfilled')
    expect(lost?.status === 'rejected' && lost.reason instanceof NexusApiError ? [lost.reason.statusCode, lost.reason.message] : lost).toEqual([507, NO_SLED])
    expect(sw.db.sledReservationList().map((r) => r.instanceId)).toEqual([a.id])
    expect(sw.db.instanceGet(b.id)).toMatchObject({ state: 'no_vmm', intendedState: 'running' })
  })

  it('answers 409 "Instance already starting" to a second start of the same instance racing the first', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')

    const [first, second] = await sw.drive(Promise.allSettled([sw.start(instance.id), sw.start(instance.id)]))

    expect(first?.status).toBe('fulfilled')
    expect(second?.status === 'rejected' && second.reason instanceof NexusApiError ? [second.reason.statusCode, second.reason.errorCode, second.reason.message] : second).toEqual([
      409,
      'Conflict',
      'Instance already starting',
    ])
    expect(sw.db.sledReservationList()).toHaveLength(1)
    expect(sw.db.vmmList().map((v) => v.state)).toEqual(['running'])
  })

  it('answers 409 "instance changed state before it could be started" when another start linked its VMM after this one was admitted', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    // Another start got as far as MARK_AS_STARTING without holding a reservation the placement sees.
    const other = sw.db.vmmInsert({ id: sw.ids.uuid('propolis'), instanceId: instance.id, sledId: sw.h.sled(0).id, propolisIp: 'fd00::9', cpuPlatform: 'amd_milan' })
    sw.db.instanceSetActiveVmm(instance.id, { propolisId: other.id, stampAutoRestart: false })

    const outcome = await sw.drive(sw.executor.run(instanceStartSaga, { instance, reason: 'user' }))

    expect(outcome.kind === 'unwound' ? [outcome.failedNode, outcome.error.apiError?.statusCode, outcome.error.apiError?.message] : outcome.kind).toEqual([
      'mark-as-starting',
      409,
      'instance changed state before it could be started',
    ])
    expect(sw.db.instanceGet(instance.id)?.activePropolisId).toBe(other.id)
    expect(sw.db.vmmList().map((v) => [v.id === other.id ? 'other' : 'ours', v.state])).toEqual([
      ['other', 'creating'],
      ['ours', 'saga_unwound'],
    ])
    expect(sw.db.sledReservationList()).toEqual([])
  })

  it('overwrites an active VMM left saga_unwound by an earlier start', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    const left = sw.db.vmmInsert({ id: sw.ids.uuid('propolis'), instanceId: instance.id, sledId: sw.h.sled(0).id, propolisIp: 'fd00::9', cpuPlatform: 'amd_milan' })
    sw.db.instanceSetActiveVmm(instance.id, { propolisId: left.id, stampAutoRestart: false })
    sw.db.vmmMarkSagaUnwound(left.id)

    const result = await sw.drive(sw.start(instance.id))

    expect(result.kind).toBe('started')
    expect(result.state.vmm?.id).not.toBe(left.id)
    expect(result.state.vmm?.state).toBe('starting')
  })

  it('reserves the instance’s ncpus and memory, with the VMM’s address on the chosen sled’s subnet', async () => {
    const sw = world({ sleds: 1 })
    const instance = sw.stoppedInstance('db1', { ncpus: 3, memoryGiB: 6 })

    await sw.drive(sw.start(instance.id))

    const [vmm] = sw.db.vmmList()
    expect(sw.db.sledReservationList().map((r) => [r.id, r.hardwareThreads, r.reservoirRam, r.state])).toEqual([[vmm?.id, 3, 6 * GIB, 'active']])
    expect(vmm?.propolisIp).toMatch(/^fd00:1122:3344:101:[0-9a-f]{4}:[0-9a-f]{4}:[0-9a-f]{4}:[0-9a-f]{4}$/)
  })
})
