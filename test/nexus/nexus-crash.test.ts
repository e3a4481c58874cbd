// Nexus crashes and restarts: whatever step of instance-start it dies after, the restarted Nexus
// recovers the saga from the log and the system ends where it would have without the crash; while
// it is down, its host does not answer and its API calls fail with a 503.
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { NexusApiError } from '../../nexus/app/errors.ts'
import type { DatastoreSnapshot } from '../../nexus/db/datastore.ts'
import { instanceStartSaga } from '../../nexus/sagas/instance-start.ts'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

let w: FullWorld | null = null
afterEach(() => w?.dispose())

const GIB = 1024 ** 3
const START_NODES = instanceStartSaga.nodes.map((n) => n.name)
/** Between two steps (logged), and after the action's effects but before its success is logged. */
const CRASH_CASES = START_NODES.flatMap((node) => (['after_succeeded', 'before_succeeded'] as const).map((at) => [node, at] as const))

/** A world with a stopped instance `db1`. */
async function worldWithStoppedInstance(): Promise<FullWorld> {
  w = createFullWorld()
  await w.h.settleCall(w.nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB }))
  return w
}

/** Settles `promise` on virtual time and returns how it ended, without throwing. */
async function outcomeOf(world: FullWorld, promise: Promise<unknown>): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    await world.h.settleCall(promise)
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}

/**
 * The records with ids replaced by labels in order of first appearance and times dropped, so that
 * two runs compare equal when they reached the same states (saga ids are drawn at different moments).
 */
function endState(world: FullWorld) {
  const snapshot: DatastoreSnapshot = world.nexus.db.snapshot()
  const labels = new Map<string, string>()
  const label = (id: string | null) => {
    if (id === null) return null
    if (!labels.has(id)) labels.set(id, `#${labels.size}`)
    return labels.get(id)
  }
  const sledName = (id: string) => world.h.sleds.find((s) => s.id === id)?.name ?? id
  return {
    instances: snapshot.instances.map((i) => ({
      id: label(i.id),
      state: i.state,
      gen: i.gen,
      intendedState: i.intendedState,
      active: label(i.activePropolisId),
      target: label(i.targetPropolisId),
      updater: i.updaterId,
    })),
    vmms: snapshot.vmms.map((v) => ({ id: label(v.id), instance: label(v.instanceId), sled: sledName(v.sledId), state: v.state, gen: v.gen, failureReason: v.failureReason, deleted: v.timeDeleted !== null })),
    reservations: snapshot.sledReservations.map((r) => ({ id: label(r.id), sled: sledName(r.sledId), threads: r.hardwareThreads, ram: r.reservoirRam, state: r.state })),
    provisioning: { fleet: snapshot.provisioning.fleet, instances: snapshot.provisioning.instances.map((p) => ({ instance: label(p.instanceId), cpus: p.cpus, ram: p.ram })) },
    sagas: snapshot.sagas.map((s) => [s.name, s.state]),
    sledVmms: world.h.sleds.map((s) => s.vmmViews().map((v) => ({ id: label(v.propolisId), phase: v.phase, state: v.state.vmm_state.state, gen: v.state.vmm_state.gen }))),
  }
}

describe('nexus.crash() and nexus.restart()', () => {
  // How the same start ends on a Nexus that never crashes.
  let expected: ReturnType<typeof endState>
  beforeAll(async () => {
    const reference = await worldWithStoppedInstance()
    await reference.h.settleCall(reference.nexus.instances.start('db1'))
    await reference.clock.advance(65_000)
    expected = endState(reference)
    reference.dispose()
    w = null
  })

  it.each(CRASH_CASES)('ends a start as an uncrashed Nexus would when it dies at %s (%s)', async (node, at) => {
    const world = await worldWithStoppedInstance()
    world.nexus.sagaFaults.crashNexusAfter('instance_start', node, { at })
    const start = await outcomeOf(world, world.nexus.instances.start('db1'))
    const downAfterCrash = world.nexus.up
    await world.clock.advance(5_000)
    const recovered = await world.h.settleCall(world.nexus.restart())
    await world.clock.advance(60_000)

    expect(world.trace.events().filter((e) => e.kind === 'fault.saga').map((e) => (e.kind === 'fault.saga' ? `${e.node} ${e.fault}` : ''))).toEqual([`${node} crash_${at}`])
    expect(downAfterCrash).toBe(false)
    expect(start).toMatchObject({ ok: false, error: { name: 'NexusApiError', statusCode: 503 } })
    expect(recovered.map((r) => [r.name, r.outcome.kind])).toEqual([['instance_start', 'succeeded']])
    expect(expected).toMatchObject({ instances: [{ state: 'vmm', intendedState: 'running' }], vmms: [{ state: 'running' }], sagas: [['instance_create', 'succeeded'], ['instance_start', 'succeeded']] })
    expect(endState(world)).toEqual(expected)
    expect(world.nexus.instances.view('db1').runState).toBe('running')
  })

  it('fails upcalls while Nexus is down and delivers them, retried, after the restart', async () => {
    const world = await worldWithStoppedInstance()
    await world.h.settleCall(world.nexus.instances.start('db1'))
    const [vmm] = world.nexus.db.vmmList()
    if (vmm === undefined) throw new Error('no VMM')

    world.nexus.crash()
    await world.clock.advance(10_000)
    const whileDown = world.nexus.db.vmmGet(vmm.id)
    const unanswered = world.trace.events().filter((e) => e.kind === 'http.response' && e.cause === 'destination unreachable')
    await world.h.settleCall(world.nexus.restart())
    await world.clock.advance(30_000)

    expect(whileDown?.state).toBe('starting')
    expect(unanswered.length).toBeGreaterThan(0)
    expect(world.nexus.db.vmmGet(vmm.id)?.state).toBe('running')
    expect(world.nexus.instances.view('db1').runState).toBe('running')
  })

  it('rejects in-process calls with a 503 naming that Nexus is down, and its host stops answering', async () => {
    const world = await worldWithStoppedInstance()
    world.nexus.crash()

    const view = (() => {
      try {
        world.nexus.instances.view('db1')
        return null
      } catch (error) {
        return error
      }
    })()
    const start = await outcomeOf(world, world.nexus.instances.start('db1'))
    const activate = await outcomeOf(world, world.nexus.activate('instance_watcher'))
    const http = await fetch(`${world.nexus.url}/v1/instances/db1?project=default`).then(
      (r) => r.status,
      () => 'network_error',
    )

    expect(view).toBeInstanceOf(NexusApiError)
    expect(view).toMatchObject({ statusCode: 503, message: 'instances.view failed: nexus is down (crashed: nexus.crash())' })
    expect(start).toMatchObject({ ok: false, error: { statusCode: 503, message: 'instances.start failed: nexus is down (crashed: nexus.crash())' } })
    expect(activate).toMatchObject({ ok: false, error: { statusCode: 503 } })
    expect(http).toBe('network_error')
  })

  it('rejects a call whose Nexus dies under it with a 503, and serves calls again after the restart', async () => {
    const world = await worldWithStoppedInstance()
    world.nexus.sagaFaults.crashNexusAfter('instance_start', 'alloc-server')

    const start = await outcomeOf(world, world.nexus.instances.start('db1'))
    const traced = world.trace.events().filter((e) => e.kind === 'nexus.crashed' || e.kind === 'nexus.restarted').map((e) => e.kind)
    await world.h.settleCall(world.nexus.restart())
    const http = await fetch(`${world.nexus.url}/v1/instances/db1?project=default`)

    expect(start).toMatchObject({ ok: false, error: { statusCode: 503, message: expect.stringContaining('instances.start failed: nexus is down (crashed: sagaFaults.crashNexusAfter instance_start/alloc-server') } })
    expect(traced).toEqual(['nexus.crashed'])
    expect(world.nexus.incarnation).toBe(2)
    expect(world.trace.events().filter((e) => e.kind === 'nexus.restarted')).toMatchObject([{ incarnation: 2, sagas: [expect.any(String)] }])
    expect(http.status).toBe(200)
    expect(world.nexus.up).toBe(true)
  })

  it('crashes a live Nexus before restarting it, as a process restart would', async () => {
    const world = await worldWithStoppedInstance()

    await world.h.settleCall(world.nexus.restart())

    expect(world.trace.events().flatMap((e) => (e.kind === 'nexus.crashed' || e.kind === 'nexus.restarted' ? [e.kind] : []))).toEqual(['nexus.crashed', 'nexus.restarted'])
    expect(world.nexus.up).toBe(true)
    expect(world.nexus.sagas.crashed).toBe(false)
    expect(world.nexus.instances.view('db1').runState).toBe('stopped')
  })

  it('stops the crashed Nexus’s background tasks and runs the restarted one’s on their periods from the restart', async () => {
    const world = await worldWithStoppedInstance()
    world.nexus.crash()
    await world.clock.advance(45_000)
    const whileDown = world.trace.events().filter((e) => e.kind === 'task.activated').length

    await world.h.settleCall(world.nexus.restart())
    await world.clock.advance(30_000)
    const after = world.trace.events().filter((e) => e.kind === 'task.activated')

    expect(whileDown).toBe(0)
    expect(after.map((e) => (e.kind === 'task.activated' ? `${e.at} ${e.task}` : ''))).toEqual(['75000 instance_watcher', '75000 instance_updater'])
  })
})
