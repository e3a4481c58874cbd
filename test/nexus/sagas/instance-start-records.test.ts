import { afterEach, describe, expect, it } from 'vitest'
import { startFailureOf } from '../../../nexus/app/start-failure.ts'
import { NexusCrashedError } from '../../../nexus/sagas/saga-errors.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { formatIso } from '../../../sim/kernel/time.ts'
import { StartWorld, type StartWorldOptions } from '../../support/start-world.ts'

let w: StartWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

function world(options: StartWorldOptions = {}): StartWorld {
  w = new StartWorld({ ...options, flags: { recordStartFailures: true, ...options.flags } })
  return w
}

describe('recordStartFailures', () => {
  it('records nothing when off, as omicron', async () => {
    const sw = world({ sleds: [{ hardwareThreads: 1 }], flags: { recordStartFailures: false } })
    const instance = sw.stoppedInstance('db1')

    await sw.driveToApiError(sw.start(instance.id))

    expect(startFailureOf(sw.db, instance.id)).toBeNull()
    expect(sw.db.instanceGet(instance.id)).not.toHaveProperty('startFailure')
  })

  it('records a user start that found no sled: the node, the 507 and its message, the time and the reason', async () => {
    const sw = world({ sleds: [{ hardwareThreads: 1 }] })
    const instance = sw.stoppedInstance('db1')
    const failedAt = formatIso(sw.h.clock.now())

    const error = await sw.driveToApiError(sw.start(instance.id))

    expect(startFailureOf(sw.db, instance.id)).toEqual({
      startReason: 'user',
      failedNode: 'alloc-server',
      statusCode: 507,
      errorCode: 'InsufficientCapacity',
      message: error.message,
      detail: error.message,
      time: failedAt,
      sagaId: sw.db.sagaList()[0]?.id,
    })
    expect(sw.h.trace.lines().some((l) => l.includes('nexus.start_failure_recorded') && l.includes('node=alloc-server'))).toBe(true)
  })

  it('records an auto-restart that failed at registration, with what the sled-agent said', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', gen: nextGeneration(instance.gen) })
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', times: 1, respond: { status: 500, message: 'zone install failed' } })

    await sw.driveToApiError(sw.start(instance.id, 'auto_restart'))

    expect(startFailureOf(sw.db, instance.id)).toMatchObject({
      startReason: 'auto_restart',
      failedNode: 'ensure-registered',
      statusCode: 500,
      errorCode: 'Internal',
      message: 'Internal Server Error',
      detail: 'zone install failed',
    })
    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', intendedState: 'running' })
  })

  it('records an injected saga fault from the saga log, with no status', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.faults.failAt('instance_start', 'ensure-running')

    await sw.driveToApiError(sw.start(instance.id))

    expect(startFailureOf(sw.db, instance.id)).toMatchObject({
      startReason: 'user',
      failedNode: 'ensure-running',
      statusCode: null,
      errorCode: null,
      message: 'action failed: injected by sagaFaults.failAt (instance_start/ensure-running)',
    })
  })

  it('keeps showing the failure until the next successful start clears it', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })
    await sw.driveToApiError(sw.start(instance.id))
    await sw.h.clock.advance(60_000)
    const stillShown = startFailureOf(sw.db, instance.id)

    await sw.drive(sw.start(instance.id))

    expect(stillShown?.failedNode).toBe('ensure-running')
    expect(startFailureOf(sw.db, instance.id)).toBeNull()
    expect(sw.db.instanceGet(instance.id)).not.toHaveProperty('startFailure')
  })

  it('replaces an older failure with the newer one', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'boom' } })
    await sw.driveToApiError(sw.start(instance.id))
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', times: 1, respond: { status: 503, message: 'busy' } })

    await sw.driveToApiError(sw.start(instance.id))

    expect(startFailureOf(sw.db, instance.id)).toMatchObject({ failedNode: 'ensure-registered', statusCode: 503, sagaId: sw.db.sagaList()[1]?.id })
  })

  it.each([
    ['a failure an action saw', 'vmm_put_state' as const, 500],
    ['an injected fault', null, null],
  ])('records %s when the saga only unwinds after Nexus restarted', async (_name, operation, status) => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')
    if (operation === null) sw.faults.failAt('instance_start', 'ensure-running')
    else sw.h.network.faults.inject({ target: 'sled-agent', operation, times: 1, respond: { status: 500, message: 'boom' } })
    sw.faults.crashNexusAfter('instance_start', 'ensure-running', { at: 'after_failed' })

    const crashed = await sw.driveToError(sw.start(instance.id))
    const recovered = await sw.drive(sw.newExecutor().recover())

    expect(crashed).toBeInstanceOf(NexusCrashedError)
    expect(recovered.map((r) => r.outcome.kind)).toEqual(['unwound'])
    expect(startFailureOf(sw.db, instance.id)).toMatchObject({ startReason: 'user', failedNode: 'ensure-running', statusCode: status })
    expect(sw.db.instanceGet(instance.id)).toMatchObject({ state: 'no_vmm', activePropolisId: null })
  })
})
