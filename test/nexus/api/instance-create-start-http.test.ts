// Create and start over the Oxide API (POST /v1/instances, POST /v1/instances/{instance}/start),
// through a whole testbed: the bodies, statuses and error bodies a real client sees.
import { describe, expect, it } from 'vitest'
import { createTestbed } from '../../../scenarios/testbed.ts'
import { openApiSchema } from '../../support/openapi.ts'
import { referenceAvailable, validate } from '../../support/openapi-validate.ts'

const GIB = 1024 ** 3
const body = (fields: Record<string, unknown>) => ({ name: 'db1', description: 'a database', hostname: 'db1', ncpus: 2, memory: 4 * GIB, ...fields })
const post = (json: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) })

const checkInstance = (json: unknown) => {
  if (referenceAvailable('nexus-external')) expect(validate('nexus-external', openApiSchema('nexus-external', 'Instance'), json)).toEqual([])
}

describe('instance create and start over HTTP', () => {
  it('creates and starts by default (start: true), answering 201 with the instance', async () => {
    await using tb = await createTestbed()
    const response = await tb.fetch('/v1/instances?project=default', post(body({})))
    const json = (await response.json()) as Record<string, unknown>
    expect(response.status).toBe(201)
    expect(json).toMatchObject({ name: 'db1', ncpus: 2, memory: 4 * GIB, run_state: 'starting' })
    checkInstance(json)
    await tb.runUntil(() => tb.nexus.instanceView('db1').runState === 'running', { timeout: '1m' })
  })

  it('creates a stopped instance with start: false, then starts it with 202', async () => {
    await using tb = await createTestbed()
    const created = await tb.fetch('/v1/instances?project=default', post(body({ start: false, auto_restart_policy: 'never' })))
    expect(created.status).toBe(201)
    expect(await created.json()).toMatchObject({ run_state: 'stopped', auto_restart_policy: 'never', auto_restart_enabled: false })

    const started = await tb.fetch('/v1/instances/db1/start?project=default', { method: 'POST' })
    const json = await started.json()
    expect(started.status).toBe(202)
    expect(json).toMatchObject({ run_state: 'starting' })
    checkInstance(json)
    expect(tb.db.sagas({ name: 'instance_start' }).map((s) => s.state)).toEqual(['succeeded'])
  })

  it('refuses a taken name with 400 ObjectAlreadyExists', async () => {
    await using tb = await createTestbed()
    await tb.fetch('/v1/instances?project=default', post(body({ start: false })))
    const again = await tb.fetch('/v1/instances?project=default', post(body({ start: false })))
    expect(again.status).toBe(400)
    expect(await again.json()).toMatchObject({ error_code: 'ObjectAlreadyExists', message: 'already exists: instance "db1"', request_id: expect.any(String) })
  })

  it('joins the anti-affinity groups named in anti_affinity_groups, and answers 404 for an unknown one', async () => {
    await using tb = await createTestbed()
    const spread = await tb.nexus.antiAffinityGroupCreate({ name: 'spread', policy: 'fail' })

    const unknown = await tb.fetch('/v1/instances?project=default', post(body({ start: false, anti_affinity_groups: ['spread', 'nope'] })))
    const created = await tb.fetch('/v1/instances?project=default', post(body({ start: false, anti_affinity_groups: ['spread'] })))

    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error_code: 'ObjectNotFound', message: 'not found: anti-affinity-group with name "nope"' })
    expect(created.status).toBe(201)
    const member = await tb.nexus.antiAffinityGroupMemberAdd(spread.id, 'db1').catch((error: unknown) => error)
    expect(member).toMatchObject({ statusCode: 400, errorCode: 'ObjectAlreadyExists' })
  })

  it('answers a malformed body with dropshot’s 400 and creates nothing', async () => {
    await using tb = await createTestbed()
    const missing = await tb.fetch('/v1/instances?project=default', post({ name: 'db1' }))
    expect(missing.status).toBe(400)
    expect(await missing.json()).toMatchObject({ request_id: expect.any(String), message: expect.stringMatching(/^unable to parse JSON body: /) })
    const notJson = await tb.fetch('/v1/instances?project=default', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' })
    expect(notJson.status).toBe(400)
    expect(tb.nexus.instanceList()).toEqual([])
  })

  it('answers a start of a missing instance with 404 and one without a project with 400', async () => {
    await using tb = await createTestbed()
    const missing = await tb.fetch('/v1/instances/nope/start?project=default', { method: 'POST' })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error_code: 'ObjectNotFound', message: 'not found: instance with name "nope"' })
    const noProject = await tb.fetch('/v1/instances/nope/start', { method: 'POST' })
    expect(noProject.status).toBe(400)
    expect(await noProject.json()).toMatchObject({ error_code: 'InvalidRequest', message: 'instance should either be UUID or project should be specified' })
  })
})
