import { afterEach, describe, expect, it } from 'vitest'
import { sendStateRequest } from '../../../nexus/app/instance-requests.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { openApiSchema } from '../../support/openapi.ts'
import { referenceAvailable, validate } from '../../support/openapi-validate.ts'
import { createNexusWorld, instanceWithRegisteredVmm, type NexusWorld } from '../../support/nexus-world.ts'

let w: NexusWorld
afterEach(() => w.h.dispose())

async function call(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${w.h.nexusUrl}${path}`, { method })
  return { status: response.status, body: await response.json() }
}

const checkInstance = (body: unknown) => {
  if (referenceAvailable('nexus-external')) expect(validate('nexus-external', openApiSchema('nexus-external', 'Instance'), body)).toEqual([])
}

describe('the Oxide instance API over HTTP', () => {
  it('views an instance by name in the default project and by id, as the Oxide API shapes it', async () => {
    w = createNexusWorld()
    const { instance } = await instanceWithRegisteredVmm(w, w.h.sled(0))

    const byName = await call('GET', '/v1/instances/db1?project=default')
    const byId = await call('GET', `/v1/instances/${instance.id}`)

    expect(byName.status).toBe(200)
    expect(byName.body).toMatchObject({ id: instance.id, name: 'db1', run_state: 'starting', ncpus: 2, auto_restart_enabled: true })
    expect(byId).toEqual(byName)
    checkInstance(byName.body)
  })

  it('lists the project’s instances', async () => {
    w = createNexusWorld()
    await instanceWithRegisteredVmm(w, w.h.sled(0), 'db1')
    await instanceWithRegisteredVmm(w, w.h.sled(1), 'web')

    const listed = await call('GET', '/v1/instances?project=default')

    expect(listed.status).toBe(200)
    expect((listed.body as { items: { name: string }[] }).items.map((i) => i.name)).toEqual(['db1', 'web'])
  })

  it('stops a running instance with 202 and the view re-read after the action', async () => {
    w = createNexusWorld()
    const { instance } = await instanceWithRegisteredVmm(w, w.h.sled(0))
    await w.h.settleCall(sendStateRequest(w, instance.id, 'run'))
    await w.h.clock.advance(10_000)

    const stopped = await w.h.settleCall(call('POST', '/v1/instances/db1/stop?project=default'))

    expect(stopped.status).toBe(202)
    expect(stopped.body).toMatchObject({ run_state: 'stopping' })
    checkInstance(stopped.body)
  })

  it.each([
    ['a name without a project', '/v1/instances/db1', 400, 'InvalidRequest', 'instance should either be UUID or project should be specified'],
    ['an id with a project', '/v1/instances/0b5e4d2a-4a4c-4a8e-9d0b-3c1f2e9a7b11?project=default', 400, 'InvalidRequest', 'when providing instance as an ID project should not be specified'],
    ['an unknown project', '/v1/instances/db1?project=other', 404, 'ObjectNotFound', 'not found: project with name "other"'],
    ['an unknown instance', '/v1/instances/nope?project=default', 404, 'ObjectNotFound', 'not found: instance with name "nope"'],
    ['a list without a project', '/v1/instances', 400, undefined, 'unable to parse query string: missing field `project`'],
  ])('answers %s with %i and Omicron’s message', async (_what, path, status, errorCode, message) => {
    w = createNexusWorld()
    await instanceWithRegisteredVmm(w, w.h.sled(0))

    const result = await call('GET', path)

    expect(result).toEqual({ status, body: { request_id: 'req-1', ...(errorCode === undefined ? {} : { error_code: errorCode }), message } })
  })

  it('deletes a stopped instance with 204, after which it is not found', async () => {
    w = createNexusWorld()
    const { instance } = await instanceWithRegisteredVmm(w, w.h.sled(0))
    w.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'no_vmm', activePropolisId: null, gen: nextGeneration(instance.gen) })

    const deleted = await fetch(`${w.h.nexusUrl}/v1/instances/db1?project=default`, { method: 'DELETE' })
    const after = await call('GET', '/v1/instances/db1?project=default')

    expect(deleted.status).toBe(204)
    expect(after.status).toBe(404)
  })

  it('refuses to delete an instance with an active VMM with 400', async () => {
    w = createNexusWorld()
    await instanceWithRegisteredVmm(w, w.h.sled(0))

    const result = await call('DELETE', '/v1/instances/db1?project=default')

    expect(result).toEqual({ status: 400, body: { request_id: 'req-1', error_code: 'InvalidRequest', message: 'cannot delete instance: instance is running or has not yet fully stopped' } })
  })

  it('answers a reboot of a stopped instance with 400 and the external state name', async () => {
    w = createNexusWorld()
    const { instance } = await instanceWithRegisteredVmm(w, w.h.sled(0))
    w.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'no_vmm', activePropolisId: null, gen: nextGeneration(instance.gen) })

    const result = await call('POST', '/v1/instances/db1/reboot?project=default')

    expect(result).toEqual({ status: 400, body: { request_id: 'req-1', error_code: 'InvalidRequest', message: 'cannot reboot an instance in state stopped with no VMM' } })
  })
})
