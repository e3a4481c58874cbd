// The sled-agent's observable sequence (PUT responses, and every state Nexus hears) for each VMM
// lifecycle of propolis-model.md §4, §7 and §8, through real fetch calls on virtual time.
import { afterEach, describe, expect, it } from 'vitest'
import type { FaultablePhase } from '../../../sim/propolis/migration-phases.ts'
import type { SimSled } from '../../../sim/sled-agent/sled.ts'
import { SledHarness } from '../../support/sled-harness.ts'

let h: SledHarness
afterEach(() => h.dispose())

const runtime = (result: { body: unknown }) => {
  const state = (result.body as { updated_runtime: { vmm_state: { state: string; gen: number } } }).updated_runtime.vmm_state
  return `${state.state}@${state.gen}`
}

async function runningVmm(sled: SimSled) {
  const vmm = await h.register(sled)
  await h.settleCall(h.putState(sled, vmm.propolisId, { type: 'running' }))
  await h.clock.advance(10_000)
  const propolis = sled.vmms.get(vmm.propolisId)?.propolis
  if (propolis == null) throw new Error('the VMM has no zone')
  return { ...vmm, propolis }
}

describe('a VMM on one sled', () => {
  it('starts: the PUT answers the registered state, then Nexus hears Creating, Starting and Running', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)

    const response = await h.settleCall(h.putState(sled, propolisId, { type: 'running' }))
    await h.clock.advance(10_000)

    expect(runtime(response)).toBe('starting@2')
    expect(h.reported(propolisId)).toEqual(['starting@3', 'starting@4', 'running@5'])
  })

  it('stops: stopping at once (synthetic), then Stopping and Stopped both as stopping, and destroyed after the zone is gone', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await runningVmm(sled)

    const response = await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))
    await h.clock.advance(10_000)

    expect(runtime(response)).toBe('stopping@6')
    expect(h.reported(propolisId).slice(3)).toEqual(['stopping@7', 'stopping@8', 'destroyed@9'])
    expect((await h.getState(sled, propolisId)).status).toBe(404)
  })

  it('reboots: rebooting at once (synthetic), then Rebooting and Running', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await runningVmm(sled)

    const response = await h.settleCall(h.putState(sled, propolisId, { type: 'reboot' }))
    await h.clock.advance(10_000)

    expect(runtime(response)).toBe('rebooting@6')
    expect(h.reported(propolisId).slice(3)).toEqual(['rebooting@7', 'running@8'])
  })

  it('passes a Propolis 403 through with no error code when a reboot is asked for during a stop', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await runningVmm(sled)
    await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))

    const response = await h.putState(sled, propolisId, { type: 'reboot' })

    expect(response).toEqual({ status: 403, body: { request_id: expect.any(String), message: 'Forbidden' } })
  })

  it('halts when the guest shuts down: Stopping, Stopped, then destroyed', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId, propolis } = await runningVmm(sled)

    propolis.guestShutdown()
    await h.clock.advance(10_000)

    expect(h.reported(propolisId).slice(3)).toEqual(['stopping@6', 'stopping@7', 'destroyed@8'])
  })

  it('fails when Propolis crashes and comes back without the VM (424 NoInstance)', async () => {
    h = new SledHarness({ propolisTiming: { restartAfterCrashMs: 1_000 } })
    const sled = h.sled(0)
    const { propolisId, propolis } = await runningVmm(sled)

    propolis.crash()
    await h.clock.advance(30_000)

    expect(h.reported(propolisId).slice(3)).toEqual(['failed@6'])
    expect((await h.getState(sled, propolisId)).status).toBe(404)
  })

  it('keeps polling and reports nothing while a crashed Propolis never comes back but its zone runs', async () => {
    h = new SledHarness({ propolisTiming: { restartAfterCrashMs: null } })
    const sled = h.sled(0)
    const { propolisId, propolis } = await runningVmm(sled)

    propolis.crash()
    await h.clock.advance(600_000)

    expect(h.reported(propolisId)).toEqual(['starting@3', 'starting@4', 'running@5'])
    expect(sled.vmms.get(propolisId)?.state.vmm_state).toMatchObject({ state: 'running', gen: 5 })
  })

  it('fails a start whose backends fail: Starting, then Failed after rundown', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    const started = h.putState(sled, propolisId, { type: 'running' })
    // The zone is installed once the ensure answers (zone setup 1.5 s + init 0.5 s); Run follows at once.
    await h.clock.advance(2_000)
    const propolis = sled.vmms.get(propolisId)?.propolis
    propolis?.failNextStart()

    await h.settleCall(started)
    await h.clock.advance(30_000)

    expect(propolis).not.toBeNull()
    expect(h.reported(propolisId).at(-1)).toMatch(/^failed@/)
    expect(h.reported(propolisId).slice(0, 2)).toEqual(['starting@3', 'starting@4'])
  })

  it('destroys a VMM whose stop hangs once the 10-minute grace period has passed', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId, propolis } = await runningVmm(sled)
    propolis.hang(['stop'])

    const response = await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))
    await h.clock.advance(599_000)
    const beforeGrace = h.reported(propolisId).slice(3)
    await h.clock.advance(10_000)

    expect(runtime(response)).toBe('stopping@6')
    expect(beforeGrace).toEqual(['stopping@7'])
    expect(h.reported(propolisId).slice(3)).toEqual(['stopping@7', 'destroyed@8'])
  })
})

describe('a live migration between two sleds', () => {
  async function migrate(fault?: { side: 'source' | 'target'; phase: FaultablePhase }) {
    h = new SledHarness()
    const [from, to] = [h.sled(0), h.sled(1)]
    const source = await runningVmm(from)
    const migrationId = h.ids.uuid('migration')
    if (fault !== undefined) source.propolis.failNextMigration(fault)
    const target = await h.register(to, { state: 'migrating', migrationId, instanceId: source.instanceId })

    const response = await h.settleCall(h.putState(to, target.propolisId, { type: 'migration_target', value: { src_propolis_addr: source.addr } }))
    await h.clock.advance(60_000)
    const last = (id: string) => h.reports.filter((r) => r.propolisId === id).at(-1)?.state
    return { response, source: last(source.propolisId), target: last(target.propolisId), targetSeen: h.reported(target.propolisId), from, to, ids: { source: source.propolisId, target: target.propolisId } }
  }

  it('succeeds: the source ends destroyed with its migration out completed, the target running with its migration in completed', async () => {
    const { response, source, target, targetSeen } = await migrate()

    expect(response.status).toBe(200)
    expect(source).toMatchObject({ vmm_state: { state: 'destroyed' }, migration_out: { state: 'completed' } })
    expect(target).toMatchObject({ vmm_state: { state: 'running' }, migration_in: { state: 'completed' } })
    expect(targetSeen.some((s) => s.startsWith('starting'))).toBe(false)
  })

  it('never shows the migrated-out source as stopped twice: migrating, then stopping, then destroyed', async () => {
    const { source } = await migrate()
    const seen = h.reports.filter((r) => r.state === source || r.state.migration_out !== null).map((r) => r.state.vmm_state.state)

    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual(['migrating', 'stopping', 'destroyed'])
  })

  const PHASES: readonly FaultablePhase[] = ['Sync', 'RamPush', 'Pause', 'RamPushDirty', 'Device', 'RamPull', 'Server']

  it.each(PHASES)('fails on the source at %s: the source resumes running with migration out failed, the target fails', async (phase) => {
    const { source, target, to, ids } = await migrate({ side: 'source', phase })

    expect(source).toMatchObject({ vmm_state: { state: 'running' }, migration_out: { state: 'failed' } })
    expect(target).toMatchObject({ vmm_state: { state: 'failed' }, migration_in: { state: 'failed' } })
    expect((await h.getState(to, ids.target)).status).toBe(404)
  })

  it.each(PHASES)('fails on the target at %s: the target fails, the source resumes running with migration out failed', async (phase) => {
    const { source, target, from, ids } = await migrate({ side: 'target', phase })

    expect(target).toMatchObject({ vmm_state: { state: 'failed' }, migration_in: { state: 'failed' } })
    expect(source).toMatchObject({ vmm_state: { state: 'running' }, migration_out: { state: 'failed' } })
    expect((await h.getState(from, ids.source)).status).toBe(200)
  })
})

describe('propagation by doorbell', () => {
  async function startAndStop(propagation: 'upcall' | 'doorbell') {
    h = new SledHarness({ propagation })
    const sled = h.sled(0)
    const { propolisId, propolis } = await runningVmm(sled)
    await h.settleCall(h.putState(sled, propolisId, { type: 'reboot' }))
    await h.clock.advance(10_000)
    propolis.guestShutdown()
    await h.clock.advance(10_000)
    const heard = { vias: [...new Set(h.reports.map((r) => r.via))], states: h.reports.map((r) => r.state) }
    h.dispose()
    return heard
  }

  it('lets Nexus hear exactly the states the upcall carries, by pulling them after each ring', async () => {
    const upcall = await startAndStop('upcall')
    const doorbell = await startAndStop('doorbell')
    h = new SledHarness()

    expect(upcall.vias).toEqual(['upcall'])
    expect(doorbell.vias).toEqual(['doorbell'])
    expect(doorbell.states).toEqual(upcall.states)
  })
})

describe('requests that arrive while a VMM is terminating', () => {
  it('are answered after deregistration: a state change gets 410 NO_SUCH_INSTANCE, a read gets the final state', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await runningVmm(sled)
    await h.settleCall(h.putState(sled, propolisId, { type: 'stopped' }))
    while (sled.vmms.get(propolisId)?.phase !== 'terminating') await h.clock.advance(50)

    const put = h.putState(sled, propolisId, { type: 'running' })
    const get = h.getState(sled, propolisId)
    const [putResult, getResult] = await h.settleCall(Promise.all([put, get]))

    expect(putResult).toEqual({ status: 410, body: { request_id: expect.any(String), error_code: 'NO_SUCH_INSTANCE', message: 'Instance is terminating' } })
    expect(getResult).toMatchObject({ status: 200, body: { vmm_state: { state: 'destroyed', gen: 9 } } })
    expect((await h.getState(sled, propolisId)).status).toBe(404)
  })
})

describe('unregister during an in-flight request', () => {
  it('preempts the request (which fails with a 500), forces failed, and tears the zone down', async () => {
    h = new SledHarness()
    const sled = h.sled(0)
    const { propolisId } = await h.register(sled)
    const start = h.putState(sled, propolisId, { type: 'running' })
    await h.clock.advance(1_000)

    const [started, unregistered] = await h.settleCall(Promise.all([start, h.unregister(sled, propolisId)]))
    await h.clock.advance(10_000)

    expect(started).toEqual({ status: 500, body: { request_id: expect.any(String), error_code: 'Internal', message: 'Internal Server Error' } })
    expect(unregistered).toMatchObject({ status: 200, body: { updated_runtime: { vmm_state: { state: 'failed', gen: 3 } } } })
    expect(h.reports).toEqual([])
    expect(h.trace.lines().filter((l) => l.includes('propolis.published'))).toEqual([])
  })
})
