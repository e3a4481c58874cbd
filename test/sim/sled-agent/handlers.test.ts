import { afterEach, describe, expect, it } from 'vitest'
import { responseSchema, referenceAvailable, validate } from '../../support/openapi-validate.ts'
import { ensureBody, SledHarness, type ApiResult } from '../../support/sled-harness.ts'

let harness: SledHarness
afterEach(() => harness.dispose())

const OPERATIONS = { PUT_VMM: 'vmm_register', DELETE_VMM: 'vmm_unregister', PUT_STATE: 'vmm_put_state', GET_STATE: 'vmm_get_state' } as const

/** Every response is checked against the sled-agent OpenAPI document (when ../shared is present). */
function conforms(operation: (typeof OPERATIONS)[keyof typeof OPERATIONS], result: ApiResult): void {
  if (!referenceAvailable('sled-agent')) {
    console.warn('skipped: ../shared/reference/openapi/sled-agent.json is absent, responses not checked against the OpenAPI schema')
    return
  }
  const schema = responseSchema('sled-agent', operation, result.status)
  expect(schema, `${operation} documents status ${result.status}`).not.toBeNull()
  if (schema !== null) expect(validate('sled-agent', schema, result.body)).toEqual([])
}

const errorBody = (status: number, errorCode: string | undefined, message: string | RegExp) => ({
  status,
  body: { request_id: expect.stringMatching(/^[0-9a-f-]{36}$/), ...(errorCode === undefined ? {} : { error_code: errorCode }), message: typeof message === 'string' ? message : expect.stringMatching(message) },
})

describe('vmm_register', () => {
  it('answers 200 with the state Nexus sent, and no migrations', async () => {
    harness = new SledHarness()
    const { result } = await harness.register(harness.sled(0))

    expect(result).toEqual({ status: 200, body: { vmm_state: { state: 'starting', gen: 2, time_updated: '2026-08-21T00:00:00.000Z' }, migration_in: null, migration_out: null } })
    conforms('vmm_register', result)
  })

  it('records an inbound migration as pending at gen 1 for a migration target', async () => {
    harness = new SledHarness()
    const migrationId = harness.ids.uuid('migration')

    const { result } = await harness.register(harness.sled(0), { state: 'migrating', migrationId })

    expect(result.body).toMatchObject({ vmm_state: { state: 'migrating', gen: 2 }, migration_in: { migration_id: migrationId, state: 'pending', gen: 1 } })
    conforms('vmm_register', result)
  })

  it('is idempotent while the VMM lives, and refuses the id for another instance with a 500', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const first = await harness.register(sled)

    const same = await harness.register(sled, { propolisId: first.propolisId, instanceId: first.instanceId })
    const other = await harness.register(sled, { propolisId: first.propolisId })

    expect(same.result).toEqual(first.result)
    expect(other.result).toEqual(errorBody(500, 'Internal', 'Internal Server Error'))
    conforms('vmm_register', other.result)
  })
})

describe('vmm_get_state and vmm_put_state on an unknown VMM', () => {
  it('answers 404 NO_SUCH_INSTANCE with the message Not Found', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const id = harness.ids.uuid('propolis')

    const get = await harness.getState(sled, id)
    const put = await harness.putState(sled, id, { type: 'running' })

    expect(get).toEqual(errorBody(404, 'NO_SUCH_INSTANCE', 'Not Found'))
    expect(put).toEqual(errorBody(404, 'NO_SUCH_INSTANCE', 'Not Found'))
    conforms('vmm_get_state', get)
    conforms('vmm_put_state', put)
  })
})

describe('vmm_unregister', () => {
  it('answers {updated_runtime: null} for a VMM the sled does not know', async () => {
    harness = new SledHarness()

    const result = await harness.unregister(harness.sled(0), harness.ids.uuid('propolis'))

    expect(result).toEqual({ status: 200, body: { updated_runtime: null } })
    conforms('vmm_unregister', result)
  })

  it('forces a registered VMM to failed, returns that state, and forgets the VMM without telling Nexus', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const { propolisId } = await harness.register(sled)

    const result = await harness.settleCall(harness.unregister(sled, propolisId))
    const after = await harness.getState(sled, propolisId)

    expect(result).toEqual({ status: 200, body: { updated_runtime: { vmm_state: { state: 'failed', gen: 3, time_updated: '2026-08-21T00:00:00.000Z' }, migration_in: null, migration_out: null } } })
    expect(after.status).toBe(404)
    expect(harness.reports).toEqual([])
    conforms('vmm_unregister', result)
  })
})

describe('vmm_put_state before the VMM has a zone', () => {
  it('answers a reboot with 500', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const { propolisId } = await harness.register(sled)

    const result = await harness.putState(sled, propolisId, { type: 'reboot' })

    expect(result).toEqual(errorBody(500, 'Internal', 'Internal Server Error'))
    conforms('vmm_put_state', result)
  })

  it('answers a stop with destroyed, publishes it, then deregisters', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const { propolisId } = await harness.register(sled)

    const result = await harness.settleCall(harness.putState(sled, propolisId, { type: 'stopped' }))
    await harness.clock.advance(1000)

    expect(result).toMatchObject({ status: 200, body: { updated_runtime: { vmm_state: { state: 'destroyed', gen: 3 } } } })
    expect(harness.reported(propolisId)).toEqual(['destroyed@3'])
    expect((await harness.getState(sled, propolisId)).status).toBe(404)
    conforms('vmm_put_state', result)
  })
})

describe('malformed requests', () => {
  it.each([
    ['a body that is not JSON', 'PUT', 'state', '{"state":', /^unable to parse JSON body: /],
    ['an empty body', 'PUT', 'state', '', 'unable to parse JSON body: EOF while parsing a value at line 1 column 0'],
    ['a body without the state field', 'PUT', 'state', {}, 'unable to parse JSON body: state: missing field `state`'],
    ['an unknown requested state', 'PUT', 'state', { state: { type: 'paused' } }, /^unable to parse JSON body: state(\.type)?: /],
    ['a migration target without its source', 'PUT', 'state', { state: { type: 'migration_target' } }, /^unable to parse JSON body: state\.value: missing field `value`/],
    ['a registration without a runtime', 'PUT', 'vmm', { instance_id: '77777777-7777-4777-8777-777777777777' }, /^unable to parse JSON body: /],
  ] as const)('answers %s with 400 and changes nothing', async (_what, method, target, body, message) => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const { propolisId, result: registered } = await harness.register(sled)
    const path = target === 'state' ? `/vmms/${propolisId}/state` : `/vmms/${propolisId}`

    const result = await harness.call(sled, method, path, body)

    expect(result).toEqual(errorBody(400, undefined, message))
    expect(await harness.getState(sled, propolisId)).toEqual(registered)
    conforms(target === 'state' ? 'vmm_put_state' : 'vmm_register', result)
  })

  it('answers a path parameter that is not a UUID with 400', async () => {
    harness = new SledHarness()

    const result = await harness.getState(harness.sled(0), 'not-a-uuid')

    expect(result).toEqual(errorBody(400, undefined, /^bad parameter in URL path: /))
    conforms('vmm_get_state', result)
  })

  it('answers a body with another content type with 400', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const { propolisId } = await harness.register(sled)

    const result = await harness.call(sled, 'PUT', `/vmms/${propolisId}/state`, undefined, { body: 'running', headers: { 'content-type': 'text/plain' } })

    expect(result).toEqual(errorBody(400, undefined, 'expected content type "application/json", got "text/plain"'))
  })

  it('answers a path it does not serve with 404 and a wrong method with 405, as dropshot does', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)

    expect(await harness.call(sled, 'GET', '/zones')).toEqual(errorBody(404, undefined, 'Not Found'))
    expect(await harness.call(sled, 'POST', `/vmms/${harness.ids.uuid('propolis')}/state`)).toEqual(errorBody(405, undefined, 'Method Not Allowed'))
  })
})

describe('the per-VMM request queue', () => {
  it('answers 503 INSTANCE_CHANNEL_FULL once 32 requests wait behind an in-flight one', async () => {
    harness = new SledHarness()
    const sled = harness.sled(0)
    const { propolisId } = await harness.register(sled)

    const start = harness.putState(sled, propolisId, { type: 'running' })
    await harness.clock.settle()
    const queued = Array.from({ length: 32 }, () => harness.getState(sled, propolisId))
    const overflow = await harness.getState(sled, propolisId)
    await harness.settleCall(Promise.all([start, ...queued]))

    expect(overflow).toEqual(errorBody(503, 'INSTANCE_CHANNEL_FULL', 'Service Unavailable'))
    conforms('vmm_get_state', overflow)
  })
})

describe('request bodies the sled-agent accepts', () => {
  it('accepts the body Nexus sends, with the optional fields absent', async () => {
    harness = new SledHarness()
    const body = ensureBody({ instanceId: harness.ids.uuid('instance'), addr: '[fd00::1]:12400', state: 'starting', now: harness.clock.isoNow(), migrationId: null })
    const { migration_id: _omitted, ...withoutMigration } = body

    const result = await harness.call(harness.sled(0), 'PUT', `/vmms/${harness.ids.uuid('propolis')}`, withoutMigration)

    expect(result.status).toBe(200)
  })
})
