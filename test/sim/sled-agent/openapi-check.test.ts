import { describe, expect, it } from 'vitest'
import { referenceAvailable, responseSchema, validate } from '../../support/openapi-validate.ts'

const available = referenceAvailable('sled-agent')
if (!available) console.warn('skipped: ../shared/reference/openapi/sled-agent.json is absent; the OpenAPI response check is not tested')

const good = { vmm_state: { state: 'running', gen: 5, time_updated: '2026-08-21T10:00:00.123Z' }, migration_in: null, migration_out: null }

describe.skipIf(!available)('the OpenAPI response check', () => {
  it('accepts a well-formed SledVmmState for vmm_get_state 200', () => {
    const schema = responseSchema('sled-agent', 'vmm_get_state', 200)

    expect(schema).not.toBeNull()
    expect(validate('sled-agent', schema ?? {}, good)).toEqual([])
  })

  it.each([
    ['a state outside the enum', { ...good, vmm_state: { ...good.vmm_state, state: 'saga_unwound' } }, '$.vmm_state.state'],
    ['a missing vmm_state', { migration_in: null }, 'missing required vmm_state'],
    ['a negative generation', { ...good, vmm_state: { ...good.vmm_state, gen: -1 } }, 'below the minimum'],
    ['a migration id that is not a uuid', { ...good, migration_in: { migration_id: 'm', state: 'pending', gen: 1, time_updated: '2026-08-21T10:00:00Z' } }, 'not a uuid'],
    ['a time that is not a date-time', { ...good, vmm_state: { ...good.vmm_state, time_updated: 'noon' } }, 'not a date-time'],
  ])('rejects %s', (_what, body, problem) => {
    const schema = responseSchema('sled-agent', 'vmm_get_state', 200) ?? {}

    expect(validate('sled-agent', schema, body).join('\n')).toContain(problem)
  })

  it('finds the error schema through the 4XX and 5XX ranges and requires request_id and message', () => {
    const schema = responseSchema('sled-agent', 'vmm_put_state', 404) ?? {}

    expect(validate('sled-agent', schema, { request_id: 'r', error_code: 'NO_SUCH_INSTANCE', message: 'Not Found' })).toEqual([])
    expect(validate('sled-agent', schema, { error_code: 'NO_SUCH_INSTANCE' }).join('\n')).toContain('missing required request_id')
    expect(responseSchema('sled-agent', 'vmm_unregister', 503)).not.toBeNull()
  })
})
