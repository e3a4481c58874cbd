import { afterEach, describe, expect, it } from 'vitest'
import { SledAgentClient } from '../../../nexus/app/sled-agent-client.ts'
import type { InstanceUuid, PropolisUuid } from '../../../sim/kernel/ids.ts'
import type { Propagation } from '../../../sim/sled-agent/nexus-notifier.ts'
import { createNexusWorld, instanceWithRegisteredVmm, type NexusWorld } from '../../support/nexus-world.ts'

let world: NexusWorld | null = null
afterEach(() => world?.h.dispose())

function createWorld(propagation: Propagation = 'upcall'): NexusWorld {
  world = createNexusWorld(propagation)
  return world
}

async function registeredVmm(w: NexusWorld): Promise<{ instanceId: InstanceUuid; propolisId: PropolisUuid }> {
  const { instance, vmm } = await instanceWithRegisteredVmm(w, w.h.sled(0))
  return { instanceId: instance.id, propolisId: vmm.id }
}

async function startThenStop(w: NexusWorld, propolisId: PropolisUuid): Promise<void> {
  const client = new SledAgentClient(w.h.sled(0).url, { clock: w.h.clock })
  const started = await w.h.settleCall(client.vmmPutState(propolisId, { type: 'running' }))
  if (started !== null) w.intake.notify(propolisId, started)
  await w.h.clock.advance(10_000)
  const stopping = await w.h.settleCall(client.vmmPutState(propolisId, { type: 'stopped' }))
  if (stopping !== null) w.intake.notify(propolisId, stopping)
  await w.h.clock.advance(10_000)
}

describe('the state intake over the internal API', () => {
  it('takes every upcall into the VMM record and asks for an update saga once the VMM is destroyed', async () => {
    const w = createWorld('upcall')
    const { instanceId, propolisId } = await registeredVmm(w)

    await startThenStop(w, propolisId)

    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'destroyed', gen: 9, failureReason: null })
    expect(w.updates.spawned).toEqual([instanceId])
    const outcomes = w.h.trace.lines().filter((l) => l.includes('nexus.vmm_update')).map((l) => /state=(\S+).*gen=(\d+).*outcome=(\S+)/.exec(l)?.slice(1).join(' '))
    expect(outcomes).toContain('destroyed 9 needs_instance_update')
    expect(outcomes).toContain('starting 2 ignored')
  })

  it('produces the same records with the doorbell as with the upcall', async () => {
    const upcall = createWorld('upcall')
    await startThenStop(upcall, (await registeredVmm(upcall)).propolisId)
    const upcallRecords = upcall.db.snapshot().vmms
    upcall.h.dispose()

    const doorbell = createWorld('doorbell')
    await startThenStop(doorbell, (await registeredVmm(doorbell)).propolisId)

    expect(doorbell.db.snapshot().vmms).toEqual(upcallRecords)
    expect(doorbell.updates.spawned).toEqual(upcall.updates.spawned)
  })

  it('marks the VMM failed with no_such_instance when a doorbell pull finds it gone, and runs the update saga', async () => {
    const w = createWorld('doorbell')
    const { instanceId, propolisId } = await registeredVmm(w)
    w.h.sled(0).forgetVmm(propolisId)

    await w.intake.ringDoorbell(propolisId)

    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'failed', failureReason: 'no_such_instance', gen: 3 })
    expect(w.updates.ran).toEqual([instanceId])
  })

  it('answers an upcall for a VMM it has no record of with a 500, and a malformed one with a 400', async () => {
    const w = createWorld()
    const url = `${w.h.nexusUrl}/vmms/${w.h.ids.uuid('propolis')}`
    const body = { vmm_state: { state: 'running', gen: 3, time_updated: '2026-08-21T00:00:00Z' }, migration_in: null, migration_out: null }

    const unknown = await fetch(url, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    const malformed = await fetch(url, { method: 'PUT', body: JSON.stringify({ vmm_state: { state: 'saga_unwound' } }), headers: { 'content-type': 'application/json' } })

    expect([unknown.status, await unknown.json()]).toEqual([500, { request_id: 'req-1', error_code: 'Internal', message: 'Internal Server Error' }])
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ message: expect.stringMatching(/^unable to parse JSON body: /) })
  })
})
