// The `failOnAnySledAgentError` flag: off (shipping), a sled-agent error on a put-state leaves the
// instance alone; on, the pre-2024 rule of omicron#4226 fails it for anything but a 4xx.
import { afterEach, describe, expect, it } from 'vitest'
import type { FaultResponse } from '../../sim/faults.ts'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

let w: FullWorld | null = null
afterEach(() => w?.dispose())

const GIB = 1024 ** 3

/** A running instance `db1` (auto-restart off, so a failure stays visible) in a world with the flag set. */
async function runningInstance(failOnAnySledAgentError: boolean): Promise<FullWorld> {
  w = createFullWorld({ flags: { failOnAnySledAgentError } })
  await w.h.settleCall(w.nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true, autoRestartPolicy: 'never' }))
  await w.clock.advance(10_000)
  return w
}

function injectPutState(world: FullWorld, respond: FaultResponse): void {
  world.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond })
}

async function rejection(world: FullWorld, promise: Promise<unknown>): Promise<unknown> {
  try {
    await world.h.settleCall(promise)
  } catch (error) {
    return error
  }
  throw new Error('the call did not fail')
}

describe('failOnAnySledAgentError on a stop’s put-state', () => {
  it.each([
    ['a 500', { status: 500 }, 500],
    ['a network error', 'network_error', 502],
  ] as const)('off: leaves the instance running after %s', async (_name, respond, status) => {
    const world = await runningInstance(false)
    injectPutState(world, respond)

    const error = await rejection(world, world.nexus.instances.stop('db1'))

    expect(error).toMatchObject({ name: 'NexusApiError', statusCode: status })
    expect(world.nexus.instances.view('db1').runState).toBe('running')
    expect(world.nexus.db.vmmList()).toMatchObject([{ state: 'running', failureReason: null }])
  })

  it.each([
    ['a 500', { status: 500 }],
    ['a 503', { status: 503 }],
    ['a network error', 'network_error'],
  ] as const)('on: fails the VMM and so the instance after %s, answering as the old code did', async (_name, respond) => {
    const world = await runningInstance(true)
    injectPutState(world, respond)

    const error = await rejection(world, world.nexus.instances.stop('db1'))

    // The old code returned the generic conversion: a 503 stays a 503; the rest are 500s.
    expect(error).toMatchObject({ name: 'NexusApiError', statusCode: respond !== 'network_error' && respond.status === 503 ? 503 : 500 })
    expect(world.nexus.instances.view('db1').runState).toBe('failed')
    expect(world.nexus.db.vmmList()).toMatchObject([{ state: 'failed', failureReason: 'prehistoric' }])
    expect(world.nexus.db.readView().instance('db1')).toMatchObject({ state: 'failed', activePropolisId: null, intendedState: 'stopped' })
  })

  it('on: leaves the failed VMM running on its sled, the leak the old rule had', async () => {
    const world = await runningInstance(true)
    injectPutState(world, { status: 500 })
    await rejection(world, world.nexus.instances.stop('db1'))

    await world.clock.advance(120_000)

    expect(world.nexus.instances.view('db1').runState).toBe('failed')
    expect(world.nexus.db.vmmList()).toMatchObject([{ state: 'failed', failureReason: 'prehistoric' }])
    expect(world.h.sleds.flatMap((s) => s.vmmViews().map((v) => v.state.vmm_state.state))).toEqual(['running'])
  })

  it('on: leaves the instance alone after a 4xx, as the old rule did', async () => {
    const world = await runningInstance(true)
    injectPutState(world, { status: 409, message: 'Conflict' })

    const error = await rejection(world, world.nexus.instances.stop('db1'))

    expect(error).toMatchObject({ name: 'NexusApiError', statusCode: 400 })
    expect(world.nexus.instances.view('db1').runState).toBe('running')
  })
})

describe('failOnAnySledAgentError on a start’s put-state (ENSURE_RUNNING)', () => {
  async function failedStart(failOnAnySledAgentError: boolean, respond: FaultResponse) {
    w = createFullWorld({ flags: { failOnAnySledAgentError } })
    await w.h.settleCall(w.nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, autoRestartPolicy: 'never' }))
    injectPutState(w, respond)
    const error = await rejection(w, w.nexus.instances.start('db1'))
    await w.clock.advance(10_000)
    return { world: w, error }
  }

  it.each([
    ['a 500', { status: 500 }],
    ['a network error', 'network_error'],
  ] as const)('off: unwinds the start after %s, leaving the instance stopped', async (_name, respond) => {
    const { world, error } = await failedStart(false, respond)

    expect(error).toMatchObject({ name: 'NexusApiError', statusCode: 500 })
    expect(world.nexus.instances.view('db1').runState).toBe('stopped')
    expect(world.nexus.db.sagaList().map((s) => [s.name, s.state])).toContainEqual(['instance_start', 'unwound'])
  })

  it.each([
    ['a 500', { status: 500 }],
    ['a network error', 'network_error'],
  ] as const)('on: fails the instance after %s, and the start still unwinds', async (_name, respond) => {
    const { world, error } = await failedStart(true, respond)

    expect(error).toMatchObject({ name: 'NexusApiError', statusCode: 500 })
    expect(world.nexus.instances.view('db1').runState).toBe('failed')
    expect(world.nexus.db.sagaList().map((s) => [s.name, s.state])).toContainEqual(['instance_start', 'unwound'])
    expect(world.nexus.db.provisioningRead().fleet).toEqual({ cpus: 0, ram: 0 })
  })
})
