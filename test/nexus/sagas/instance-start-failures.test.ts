import { afterEach, describe, expect, it } from 'vitest'
import { requestInstanceState } from '../../../nexus/app/instance-requests.ts'
import { effectiveInstanceState } from '../../../nexus/types/effective-instance-state.ts'
import type { InstanceUuid } from '../../../sim/kernel/ids.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { StartWorld, type StartWorldOptions } from '../../support/start-world.ts'

let w: StartWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

function world(options: StartWorldOptions = {}): StartWorld {
  w = new StartWorld(options)
  return w
}

function runState(sw: StartWorld, instanceId: InstanceUuid) {
  const found = sw.db.instanceFetchWithVmm(instanceId)
  if (found === null) throw new Error('no instance')
  return effectiveInstanceState({ instance: found.instance, activeVmm: found.vmm }).runState
}

/** Nothing of the unwound start is left anywhere. */
function expectNothingLeft(sw: StartWorld): void {
  expect(sw.db.sledReservationList()).toEqual([])
  expect(sw.db.provisioningRead().instances).toEqual([])
  expect(sw.h.sleds.flatMap((s) => s.vmmViews())).toEqual([])
  expect(sw.db.vmmList().map((v) => v.state)).toEqual(['saga_unwound'])
}

describe('a start whose sled-agent calls fail', () => {
  it('unwinds on a 500 to Run and leaves the instance stopped with intent running, not failed', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect([error.statusCode, error.errorCode, error.message, error.internalMessage]).toEqual([500, 'Internal', 'Internal Server Error', 'boom'])
    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', activePropolisId: null, gen: instance.gen + 2, intendedState: 'running' })
    expect(runState(sw, instance.id)).toBe('stopped')
    expectNothingLeft(sw)
    expect(sw.updatesRun).toEqual([])
  })

  it('marks nothing failed when Run gets 404 NO_SUCH_INSTANCE: the saga unwinds with a 400', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' } })

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect([error.statusCode, error.errorCode, error.message]).toEqual([400, 'InvalidRequest', 'Not Found'])
    expect(sw.updatesRun).toEqual([])
    expect(sw.h.trace.lines().filter((l) => l.includes('nexus.vmm_marked_failed'))).toEqual([])
    expectNothingLeft(sw)
  })

  it.each([
    ['a 503', { status: 503, message: 'busy' } as const, [503, 'ServiceNotAvailable', 'Service Unavailable']],
    ['an unreachable sled', 'network_error' as const, [500, 'Internal', 'Internal Server Error']],
  ])('maps %s at registration with the generic table and unwinds', async (_name, respond, expected) => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', times: 1, respond })

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect([error.statusCode, error.errorCode, error.message]).toEqual(expected)
    expect(sw.db.sagaList().map((s) => s.failedNode)).toEqual(['ensure-registered'])
    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', activePropolisId: null })
  })

  it('marks the new VMM failed(no_such_instance) and runs the update saga when registration gets 404 NO_SUCH_INSTANCE, then unwinds', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', times: 1, respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' } })

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect(error.statusCode).toBe(400)
    expect(sw.updatesRun).toEqual([instance.id])
    expect(sw.h.trace.lines().filter((l) => l.includes('nexus.vmm_marked_failed')).map((l) => /reason=(\S+)/.exec(l)?.[1])).toEqual(['no_such_instance'])
    expect(sw.db.vmmList().map((v) => [v.state, v.failureReason])).toEqual([['saga_unwound', null]])
  })

  it('keeps what the update saga wrote when it moved the generation on: a failed instance auto-restart can retry', async () => {
    const unlinkAsFailed = (sw: StartWorld, id: InstanceUuid) => {
      const row = sw.db.instanceGet(id)
      if (row !== null) sw.db.instanceUpdateRuntime(id, { ...row, state: 'failed', activePropolisId: null, gen: nextGeneration(row.gen) })
    }
    const sw = world({ onUpdateRun: unlinkAsFailed })
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', times: 1, respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' } })

    await sw.driveToApiError(sw.start(instance.id))

    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'failed', gen: instance.gen + 2 })
    expect(sw.db.instanceFindReincarnatable('failed').map((i) => i.id)).toEqual([instance.id])
  })

  it('leaves the instance pointing at its saga_unwound VMM, reading failed, when the generation moved on without unlinking it', async () => {
    const bumpOnly = (sw: StartWorld, id: InstanceUuid) => {
      const row = sw.db.instanceGet(id)
      if (row !== null) sw.db.instanceUpdateRuntime(id, { ...row, gen: nextGeneration(row.gen) })
    }
    const sw = world({ onUpdateRun: bumpOnly })
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', times: 1, respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' } })

    await sw.driveToApiError(sw.start(instance.id))

    const found = sw.db.instanceFetchWithVmm(instance.id)
    expect([found?.instance.state, found?.vmm?.state]).toEqual(['vmm', 'saga_unwound'])
    expect(runState(sw, instance.id)).toBe('failed')
  })

  it('gets stuck when the unregister undo hits 404 NO_SUCH_INSTANCE: the VMM is failed and the later undos never run', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_unregister', times: 1, respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' } })

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect(error.internalMessage).toBe('boom')
    expect(sw.db.sagaList().map((s) => [s.state, s.failedNode, s.undoFailedNode])).toEqual([['stuck', 'ensure-running', 'ensure-registered']])
    expect(sw.db.vmmList().map((v) => [v.state, v.failureReason])).toEqual([['failed', 'no_such_instance']])
    expect(sw.updatesRun).toEqual([instance.id])
    expect(sw.db.sledReservationList()).toHaveLength(1)
  })
})

describe('start admission', () => {
  it('succeeds without a saga for an instance already starting or running', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    await sw.drive(sw.start(instance.id), 0)

    const again = await sw.drive(sw.start(instance.id))

    expect(again.kind).toBe('already_started')
    expect(sw.db.sagaList()).toHaveLength(1)
  })

  it('refuses with 409 while the instance is stopping, with the intent running written anyway', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    await sw.drive(sw.start(instance.id))
    await sw.drive(requestInstanceState(sw.services, instance.id, 'stop'), 0)

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect([error.statusCode, error.message]).toEqual([409, 'instance must finish stopping before it can be started'])
    expect(sw.db.instanceGet(instance.id)?.intendedState).toBe('running')
  })

  it('refuses with 409 an instance still being created, and 404 one that does not exist', async () => {
    const sw = world()
    const created = sw.db.instanceInsert({ id: sw.ids.uuid('instance'), name: 'new', projectId: sw.projectId, ncpus: 1, memory: 1024 ** 3, hostname: 'new', intendedState: 'stopped' })
    if (created.kind !== 'inserted') throw new Error(created.kind)

    const creating = await sw.driveToApiError(sw.start(created.instance.id))
    const missing = await sw.driveToApiError(sw.start(sw.ids.uuid('instance')))

    expect([creating.statusCode, creating.message]).toEqual([409, 'instance is in state creating but it must be stopped to be started'])
    expect([missing.statusCode, missing.errorCode]).toEqual([404, 'ObjectNotFound'])
  })

  it('starts a failed instance, which then reads starting', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', gen: nextGeneration(instance.gen) })

    const result = await sw.drive(sw.start(instance.id), 0)

    expect(result.kind).toBe('started')
    expect(runState(sw, instance.id)).toBe('starting')
  })
})

describe('the start reason', () => {
  it('stamps timeLastAutoRestarted at MARK_AS_STARTING for an auto-restart only', async () => {
    const sw = world()
    const user = sw.stoppedInstance('user')
    const auto = sw.stoppedInstance('auto')

    await sw.drive(sw.start(user.id, 'user'), 0)
    const stampedAt = sw.h.clock.now()
    await sw.drive(sw.start(auto.id, 'auto_restart'), 0)

    expect(sw.db.instanceGet(user.id)?.timeLastAutoRestarted).toBeNull()
    expect(sw.db.instanceGet(auto.id)?.timeLastAutoRestarted).toBe(stampedAt)
  })

  it('leaves a failed auto-restart stopped with intent running, its cooldown started, and nothing to retry it (omicron#9177)', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', gen: nextGeneration(instance.gen) })
    sw.db.instanceSetIntendedState(instance.id, 'running')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })

    await sw.driveToApiError(sw.start(instance.id, 'auto_restart'))
    await sw.h.clock.advance(10 * 60_000)

    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', intendedState: 'running' })
    expect(sw.db.instanceGet(instance.id)?.timeLastAutoRestarted).not.toBeNull()
    expect([...sw.db.instanceFindReincarnatable('failed'), ...sw.db.instanceFindReincarnatable('saga_unwound')]).toEqual([])
  })

  it('leaves a failed start failed with unwoundStartLeaves failed, so auto-restart retries it (omicron#7727)', async () => {
    const sw = world({ flags: { unwoundStartLeaves: 'failed' } })
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })

    await sw.driveToApiError(sw.start(instance.id))

    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'failed', activePropolisId: null, intendedState: 'running' })
    expect(runState(sw, instance.id)).toBe('failed')
    expect(sw.db.instanceFindReincarnatable('failed').map((i) => i.id)).toEqual([instance.id])
  })

  it('leaves an instance that fails placement as it was, even with unwoundStartLeaves failed', async () => {
    const sw = world({ sleds: [{ hardwareThreads: 1 }], flags: { unwoundStartLeaves: 'failed' } })
    const instance = sw.stoppedInstance('db1')

    await sw.driveToApiError(sw.start(instance.id))

    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', gen: instance.gen })
  })
})
