import { afterEach, describe, expect, it } from 'vitest'
import { instanceWatcher } from '../../../nexus/background/instance-watcher.ts'
import { sendStateRequest } from '../../../nexus/app/instance-requests.ts'
import { MgsClient } from '../../../nexus/app/mgs-client.ts'
import { serveMgs } from '../../../sim/mgs.ts'
import type { SledUuid } from '../../../sim/kernel/ids.ts'
import { createNexusWorld, instanceWithRegisteredVmm, type NexusWorld } from '../../support/nexus-world.ts'

let w: NexusWorld
let unserveMgs: () => void = () => {}
let count = 0
afterEach(() => {
  unserveMgs()
  w.h.dispose()
})

function watcher(options: { knowSlots?: boolean } = {}) {
  count += 1
  const host = `mgs.watcher-${count}.sim`
  unserveMgs = serveMgs(w.h.network, host, () => w.h.sleds)
  return instanceWatcher({
    db: w.db,
    trace: w.h.trace,
    clock: w.h.clock,
    updates: w.updates,
    sledClient: w.sledClient,
    mgs: new MgsClient(`http://${host}`, w.h.clock),
    spSlot: (sledId: SledUuid) => (options.knowSlots === false ? null : w.h.sleds.findIndex((s) => s.id === sledId)),
  })
}

async function runningVmm() {
  const { instance, vmm } = await instanceWithRegisteredVmm(w, w.h.sled(0))
  await w.h.settleCall(sendStateRequest(w, instance.id, 'run'))
  await w.h.clock.advance(10_000)
  return { instanceId: instance.id, propolisId: vmm.id }
}

const callsTo = (sled: string) => w.h.trace.lines().filter((l) => l.includes('http.request') && l.includes(`to=sled-agent:${sled}`)).length

describe('the instance watcher', () => {
  it('writes what the sled-agent reports (a stale equal state is a no-op)', async () => {
    w = createNexusWorld()
    const { propolisId } = await runningVmm()
    const before = w.db.vmmGet(propolisId)

    const status = await w.h.settleCall(watcher().activate())

    expect(status).toEqual({ total_instances: 1, vmm_states: { running: 1 }, failed_checks: {}, incomplete_checks: {}, update_sagas_queued: 0 })
    expect(w.db.vmmGet(propolisId)).toEqual(before)
  })

  it('fails the VMMs of an expunged sled with sled_expunged without calling it, and runs the update saga', async () => {
    w = createNexusWorld()
    const { instanceId, propolisId } = await runningVmm()
    w.db.sledSetPolicy(w.h.sled(0).id, 'expunged')
    const callsBefore = callsTo('sled-1')

    const status = await w.h.settleCall(watcher().activate())

    expect(status).toMatchObject({ failed_checks: { sled_expunged: 1 }, update_sagas_queued: 1 })
    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'failed', failureReason: 'sled_expunged', gen: 6 })
    expect(callsTo('sled-1')).toBe(callsBefore)
    expect(w.updates.ran).toEqual([instanceId])
  })

  it('fails a VMM the sled-agent no longer has (404 NO_SUCH_INSTANCE) with no_such_instance', async () => {
    w = createNexusWorld()
    const { propolisId } = await runningVmm()
    w.h.sled(0).forgetVmm(propolisId)

    const status = await w.h.settleCall(watcher().activate())

    expect(status).toMatchObject({ failed_checks: { no_such_instance: 1 }, update_sagas_queued: 1 })
    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'failed', failureReason: 'no_such_instance' })
  })

  it('treats any other error response as inconclusive and changes nothing', async () => {
    w = createNexusWorld()
    const { propolisId } = await runningVmm()
    const before = w.db.vmmGet(propolisId)
    w.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_get_state', respond: { status: 503, errorCode: 'INSTANCE_CHANNEL_FULL' } })

    const status = await w.h.settleCall(watcher().activate())

    expect(status).toMatchObject({ failed_checks: {}, incomplete_checks: { '503': 1 }, update_sagas_queued: 0 })
    expect(w.db.vmmGet(propolisId)).toEqual(before)
  })

  it('fails the VMMs of an unreachable sled with sled_off only when MGS says it is not in A0', async () => {
    w = createNexusWorld()
    const { propolisId } = await runningVmm()
    w.h.sled(0).powerOff()

    const status = await w.h.settleCall(watcher().activate())

    expect(status).toMatchObject({ failed_checks: { sled_off: 1 }, update_sagas_queued: 1 })
    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'failed', failureReason: 'sled_off' })
  })

  it('leaves a VMM on a sled that is only partitioned (still A0), or whose power nobody can tell, alone', async () => {
    w = createNexusWorld()
    const { propolisId } = await runningVmm()
    const before = w.db.vmmGet(propolisId)
    w.h.sled(0).partition()

    const partitioned = await w.h.settleCall(watcher().activate())
    w.h.sled(0).heal()
    w.h.sled(0).powerOff()
    const unknownPower = await w.h.settleCall(watcher({ knowSlots: false }).activate())

    expect(partitioned).toMatchObject({ incomplete_checks: { unreachable: 1 }, failed_checks: {} })
    expect(unknownPower).toMatchObject({ incomplete_checks: { unreachable: 1 }, failed_checks: {} })
    expect(w.db.vmmGet(propolisId)).toEqual(before)
  })

  it('does not check VMMs that cannot exist on a sled (creating, saga_unwound, destroyed)', async () => {
    w = createNexusWorld()
    const { propolisId } = await runningVmm()
    w.db.vmmMarkSagaUnwound(propolisId)

    const status = await w.h.settleCall(watcher().activate())

    expect(status).toMatchObject({ total_instances: 0 })
  })
})
