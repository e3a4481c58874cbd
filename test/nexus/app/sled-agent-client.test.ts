import { afterEach, describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import {
  externalErrorFromSledAgent,
  instanceErrorFromSledAgent,
  isVmmGone,
  SledAgentClient,
  SledAgentClientError,
  type SledAgentFailure,
} from '../../../nexus/app/sled-agent-client.ts'
import { serveHost } from '../../../sim/interception.ts'
import { ensureBody, SledHarness } from '../../support/sled-harness.ts'

let h: SledHarness
afterEach(() => h.dispose())

const clientFor = (index: number) => new SledAgentClient(h.sled(index).url, { clock: h.clock })

async function failureOf(promise: Promise<unknown>): Promise<SledAgentClientError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof SledAgentClientError)) throw new Error(`expected a SledAgentClientError, got ${String(error)}`)
  return error
}

describe('SledAgentClient', () => {
  it('registers a VMM and reads its state back, validated by the wire schemas', async () => {
    h = new SledHarness()
    const client = clientFor(0)
    const propolisId = h.ids.uuid('propolis')
    const body = ensureBody({ instanceId: h.ids.uuid('instance'), addr: '[fd00::1]:12400', state: 'starting', now: h.clock.isoNow(), migrationId: null })

    const registered = await client.vmmRegister(propolisId, body)
    const read = await client.vmmGetState(propolisId)
    const unregistered = await h.settleCall(client.vmmUnregister(propolisId))
    const again = await client.vmmUnregister(propolisId)

    expect(registered).toEqual(read)
    expect(unregistered?.vmm_state.state).toBe('failed')
    expect(again).toBeNull()
  })

  it('classifies 404 NO_SUCH_INSTANCE as an error response that means the VMM is gone', async () => {
    h = new SledHarness()

    const error = await failureOf(clientFor(0).vmmGetState(h.ids.uuid('propolis')))

    expect(error.failure).toEqual({ kind: 'error_response', status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' })
    expect(isVmmGone(error)).toBe(true)
    expect(error.message).toMatch(/^vmm_get_state failed: 404 NO_SUCH_INSTANCE Not Found \(GET http:\/\/sled-1\.[^ ]+\/vmms\/[0-9a-f-]+\/state\)$/)
  })

  it('classifies an unreachable sled as a communication error', async () => {
    h = new SledHarness()
    h.sled(0).partition()

    const error = await failureOf(clientFor(0).vmmGetState(h.ids.uuid('propolis')))

    expect(error.failure).toMatchObject({ kind: 'communication', timeout: false })
    expect(isVmmGone(error)).toBe(false)
  })

  it('gives up on a hung request after 60 virtual seconds, as a timeout', async () => {
    h = new SledHarness()
    h.network.faults.inject({ target: 'sled-agent', respond: 'hang' })
    const pending = failureOf(clientFor(0).vmmGetState(h.ids.uuid('propolis')))

    await h.clock.advance(60_000)

    expect((await pending).failure).toMatchObject({ kind: 'communication', timeout: true })
  })

  it('classifies a body that does not match the schema as an invalid payload', async () => {
    h = new SledHarness()
    const unserve = serveHost(h.network, {
      host: 'liar.client-test.sled.sim',
      target: { kind: 'sled-agent', sled: { id: 'liar', name: 'liar' } },
      reachable: () => true,
      handlers: async () => Response.json({ vmm_state: { state: 'saga_unwound', gen: 1, time_updated: 'now' } }),
    })
    try {
      const error = await failureOf(new SledAgentClient('http://liar.client-test.sled.sim', { clock: h.clock }).vmmGetState(h.ids.uuid('propolis')))
      expect(error.failure.kind).toBe('invalid_payload')
    } finally {
      unserve()
    }
  })
})

const fail = (failure: SledAgentFailure) => new SledAgentClientError('vmm_put_state', 'http://s.sled.sim/vmms/x/state', 'PUT', failure)
const summary = (e: NexusApiError) => [e.statusCode, e.errorCode ?? null, e.message]

describe('mapping sled-agent failures for API callers', () => {
  it.each([
    ['a communication error', { kind: 'communication', timeout: false, message: 'refused' }, [500, 'Internal', 'Internal Server Error'], [502, 'Internal', 'Internal Server Error']],
    ['a timeout', { kind: 'communication', timeout: true, message: '' }, [500, 'Internal', 'Internal Server Error'], [504, 'Internal', 'Internal Server Error']],
    ['404 NO_SUCH_INSTANCE', { kind: 'error_response', status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'Not Found' }, [400, 'InvalidRequest', 'Not Found'], [503, null, 'The instance was running but is no longer reachable. It is being moved to the Failed state.']],
    ['410 from a terminating VMM', { kind: 'error_response', status: 410, errorCode: 'NO_SUCH_INSTANCE', message: 'Instance is terminating' }, [400, 'InvalidRequest', 'Instance is terminating'], [400, 'InvalidRequest', 'Instance is terminating']],
    ['a 403 passed through from Propolis', { kind: 'error_response', status: 403, errorCode: undefined, message: 'Forbidden' }, [400, 'InvalidRequest', 'Forbidden'], [400, 'InvalidRequest', 'Forbidden']],
    ['503 INSTANCE_CHANNEL_FULL', { kind: 'error_response', status: 503, errorCode: 'INSTANCE_CHANNEL_FULL', message: 'Service Unavailable' }, [503, 'ServiceNotAvailable', 'Service Unavailable'], [503, 'ServiceNotAvailable', 'Service Unavailable']],
    ['a 500', { kind: 'error_response', status: 500, errorCode: 'Internal', message: 'Internal Server Error' }, [500, 'Internal', 'Internal Server Error'], [500, 'Internal', 'Internal Server Error']],
    ['an invalid payload', { kind: 'invalid_payload', message: 'bad' }, [500, 'Internal', 'Internal Server Error'], [500, 'Internal', 'Internal Server Error']],
  ] as const)('maps %s to %j through a saga and %j for stop and reboot', (_what, failure, generic, direct) => {
    expect(summary(externalErrorFromSledAgent(fail(failure)))).toEqual(generic)
    expect(summary(instanceErrorFromSledAgent(fail(failure)))).toEqual(direct)
  })
})
