import { afterEach, describe, expect, it } from 'vitest'
import { nexusInternalHandlers } from '../../../nexus/api/internal-handlers.ts'
import { Datastore } from '../../../nexus/db/datastore.ts'
import { SledAgentClient } from '../../../nexus/app/sled-agent-client.ts'
import { VmmIntake, type InstanceUpdates } from '../../../nexus/app/vmm-intake.ts'
import type { InstanceUuid, PropolisUuid } from '../../../sim/kernel/ids.ts'
import type { Propagation } from '../../../sim/sled-agent/nexus-notifier.ts'
import { ensureBody, SledHarness } from '../../support/sled-harness.ts'

const GIB = 1024 ** 3

/** Records which instances Nexus asked update sagas for (the saga itself is issue 5's). */
class RecordingUpdates implements InstanceUpdates {
  readonly spawned: InstanceUuid[] = []
  readonly ran: InstanceUuid[] = []
  spawn(instanceId: InstanceUuid): void {
    this.spawned.push(instanceId)
  }
  run(instanceId: InstanceUuid): Promise<void> {
    this.ran.push(instanceId)
    return Promise.resolve()
  }
}

interface World {
  h: SledHarness
  db: Datastore
  intake: VmmIntake
  updates: RecordingUpdates
}

let world: World | null = null
afterEach(() => world?.h.dispose())

function createWorld(propagation: Propagation = 'upcall'): World {
  const updates = new RecordingUpdates()
  let intake: VmmIntake | null = null
  const h = new SledHarness({
    propagation,
    nexusHandlers: (url) => nexusInternalHandlers(url, { acceptUpcall: (id, s) => must(intake).acceptUpcall(id, s), ringDoorbell: (id) => must(intake).ringDoorbell(id) }, () => 'req-1'),
  })
  const db = new Datastore({ now: () => h.clock.now() })
  for (const sled of h.sleds) db.sledInsert({ id: sled.id, name: sled.name, hardwareThreads: 64, reservoirBytes: 256 * GIB, cpuFamily: 'amd_milan' })
  intake = new VmmIntake({ db, trace: h.trace, clock: h.clock, updates, sledClient: (sledId) => new SledAgentClient(must(h.sleds.find((s) => s.id === sledId)).url, { clock: h.clock }) })
  world = { h, db, intake, updates }
  return world
}

function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('missing')
  return value
}

/** An instance with a VMM record registered on sled 0, as the start saga leaves it before "ensure running". */
async function registeredVmm(w: World): Promise<{ instanceId: InstanceUuid; propolisId: PropolisUuid }> {
  const { h, db, intake } = w
  const projectId = h.ids.uuid('project')
  const created = db.instanceInsert({ id: h.ids.uuid('instance'), name: 'db1', projectId, ncpus: 2, memory: 4 * GIB, hostname: 'db1', intendedState: 'running' })
  if (created.kind !== 'inserted') throw new Error(created.kind)
  const sled = h.sled(0)
  const vmm = db.vmmInsert({ id: h.ids.uuid('propolis'), instanceId: created.instance.id, sledId: sled.id, propolisIp: 'fd00::1', cpuPlatform: 'amd_milan' })
  const client = new SledAgentClient(sled.url, { clock: h.clock })
  const state = await client.vmmRegister(vmm.id, ensureBody({ instanceId: created.instance.id, addr: '[fd00::1]:12400', state: 'starting', now: h.clock.isoNow(), migrationId: null }))
  intake.notify(vmm.id, state)
  return { instanceId: created.instance.id, propolisId: vmm.id }
}

async function startThenStop(w: World, propolisId: PropolisUuid): Promise<void> {
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
