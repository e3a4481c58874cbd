import { afterEach, describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import { requestInstanceState, sendStateRequest } from '../../../nexus/app/instance-requests.ts'
import { effectiveInstanceState } from '../../../nexus/types/effective-instance-state.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import type { InstanceUuid } from '../../../sim/kernel/ids.ts'
import { createNexusWorld, instanceWithRegisteredVmm, type NexusWorld } from '../../support/nexus-world.ts'

let w: NexusWorld
afterEach(() => w.h.dispose())

async function runningInstance() {
  const { instance, vmm } = await instanceWithRegisteredVmm(w, w.h.sled(0))
  await w.h.settleCall(sendStateRequest(w, instance.id, 'run'))
  await w.h.clock.advance(10_000)
  return { instanceId: instance.id, propolisId: vmm.id }
}

const effective = (id: InstanceUuid) => {
  const found = w.db.instanceFetchWithVmm(id)
  if (found === null) throw new Error('no instance')
  return effectiveInstanceState({ instance: found.instance, activeVmm: found.vmm }).runState
}

async function rejection(promise: Promise<unknown>): Promise<NexusApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  if (!(error instanceof NexusApiError)) throw new Error(`expected a NexusApiError, got ${String(error)}`)
  return error
}

describe('stop and reboot of an instance with an active VMM', () => {
  it('asks the sled-agent, writes back the state it returns, and the instance reads stopping', async () => {
    w = createNexusWorld()
    const { instanceId, propolisId } = await runningInstance()

    await w.h.settleCall(requestInstanceState(w, instanceId, 'stop'))

    // The upcall of the Stopping observation (gen 7) lands before the PUT's own answer (gen 6),
    // which is then a stale write-back: ignored, successfully.
    const writes = w.h.trace.lines().filter((l) => l.includes('nexus.vmm_update') && l.includes('state=stopping'))
    expect(writes.map((l) => /gen=(\d+).*outcome=(\S+)/.exec(l)?.slice(1).join(' '))).toEqual(['7 recorded', '6 ignored'])
    expect(w.db.instanceGet(instanceId)?.intendedState).toBe('stopped')
    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'stopping', gen: 7 })
    expect(effective(instanceId)).toBe('stopping')
  })

  it('reboots: the VMM reads rebooting, then running again', async () => {
    w = createNexusWorld()
    const { instanceId, propolisId } = await runningInstance()

    await w.h.settleCall(requestInstanceState(w, instanceId, 'reboot'))
    const during = effective(instanceId)
    await w.h.clock.advance(10_000)

    expect(during).toBe('rebooting')
    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'running', gen: 8 })
  })

  it('marks the VMM failed and answers 503 when the sled-agent no longer has it, with the intent already written', async () => {
    w = createNexusWorld()
    const { instanceId, propolisId } = await runningInstance()
    w.h.sled(0).forgetVmm(propolisId)

    const error = await rejection(w.h.settleCall(requestInstanceState(w, instanceId, 'stop')))

    expect([error.statusCode, error.errorCode, error.message]).toEqual([503, undefined, 'The instance was running but is no longer reachable. It is being moved to the Failed state.'])
    expect(w.db.vmmGet(propolisId)).toMatchObject({ state: 'failed', failureReason: 'no_such_instance' })
    expect(w.updates.ran).toEqual([instanceId])
    expect(w.db.instanceGet(instanceId)?.intendedState).toBe('stopped')
  })

  it('answers 502 and changes nothing when the sled cannot be reached', async () => {
    w = createNexusWorld()
    const { instanceId, propolisId } = await runningInstance()
    const before = w.db.vmmGet(propolisId)
    w.h.sled(0).partition()

    const error = await rejection(w.h.settleCall(requestInstanceState(w, instanceId, 'reboot')))

    expect([error.statusCode, error.errorCode, error.message]).toEqual([502, 'Internal', 'Internal Server Error'])
    expect(w.db.vmmGet(propolisId)).toEqual(before)
  })

  it('turns a 410 from a terminating VMM into a 400 with no state change', async () => {
    w = createNexusWorld()
    const { instanceId, propolisId } = await runningInstance()
    w.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 410, errorCode: 'NO_SUCH_INSTANCE', message: 'Instance is terminating' } })
    const before = w.db.vmmGet(propolisId)

    const error = await rejection(requestInstanceState(w, instanceId, 'stop'))

    expect([error.statusCode, error.errorCode, error.message]).toEqual([400, 'InvalidRequest', 'Instance is terminating'])
    expect(w.db.vmmGet(propolisId)).toEqual(before)
    expect(w.updates.ran).toEqual([])
  })
})

describe('stop of an instance without a VMM', () => {
  it('is a no-op for a stopped instance and writes no_vmm with gen + 1 for a failed one', async () => {
    w = createNexusWorld()
    const { instance } = await instanceWithRegisteredVmm(w, w.h.sled(0))
    const unlinked = w.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'failed', activePropolisId: null, gen: nextGeneration(instance.gen) })
    if (unlinked.kind !== 'updated') throw new Error(unlinked.kind)

    await requestInstanceState(w, instance.id, 'stop')
    const afterFailedStop = w.db.instanceGet(instance.id)
    await requestInstanceState(w, instance.id, 'stop')

    expect(afterFailedStop).toMatchObject({ state: 'no_vmm', gen: unlinked.instance.gen + 1 })
    expect(w.db.instanceGet(instance.id)).toEqual(afterFailedStop)
  })

  it('refuses a reboot of a stopped instance with 400', async () => {
    w = createNexusWorld()
    const { instance } = await instanceWithRegisteredVmm(w, w.h.sled(0))
    w.db.instanceUpdateRuntime(instance.id, { ...instance, state: 'no_vmm', activePropolisId: null, gen: nextGeneration(instance.gen) })

    const error = await rejection(requestInstanceState(w, instance.id, 'reboot'))

    expect([error.statusCode, error.errorCode, error.message]).toEqual([400, 'InvalidRequest', 'cannot reboot an instance in state stopped with no VMM'])
    expect(w.db.instanceGet(instance.id)?.intendedState).toBe('running')
  })

  it('answers 404 for an instance that does not exist', async () => {
    w = createNexusWorld()

    const error = await rejection(requestInstanceState(w, w.h.ids.uuid('instance'), 'stop'))

    expect([error.statusCode, error.errorCode]).toEqual([404, 'ObjectNotFound'])
  })
})
