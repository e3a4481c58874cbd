import { describe, expect, it } from 'vitest'
import { createActor } from 'xstate'
import { getAdjacencyMap, adjacencyMapToArray } from 'xstate/graph'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { typedUuid } from '../../../sim/kernel/ids.ts'
import type { PropolisInstanceState, PropolisMonitorResponse } from '../../../sim/propolis/types.ts'
import { generation, type SledVmmState } from '../../../sim/sled-agent/api/index.ts'
import { sledVmmMachine, type SledVmmEvent, type SledVmmInput } from '../../../sim/sled-agent/vmm.machine.ts'
import { edgeKey, staticEdges } from '../../support/machine-edges.ts'

const initial: SledVmmState = { vmm_state: { state: 'starting', gen: generation(2), time_updated: '2026-08-21T00:00:00.000Z' }, migration_in: null, migration_out: null }
const input: SledVmmInput = {
  propolisId: typedUuid('propolis', '33333333-3333-4333-8333-333333333333'),
  instanceId: typedUuid('instance', '44444444-4444-4444-8444-444444444444'),
  state: initial,
  stopGraceMs: 600_000,
  now: () => '2026-08-21T00:00:01.000Z',
}

const observed = (state: PropolisInstanceState): SledVmmEvent => ({
  type: 'propolis.observed',
  observation: { gen: 1, state, migration: { migration_in: null, migration_out: null } } satisfies PropolisMonitorResponse,
})

const EVENTS: readonly SledVmmEvent[] = [
  { type: 'ensure.started' },
  { type: 'zone.installed' },
  { type: 'ensure.failed' },
  observed('Running'),
  observed('Destroyed'),
  { type: 'propolis.accepted', request: 'stop' },
  { type: 'propolis.accepted', request: 'reboot' },
  { type: 'request.stop' },
  { type: 'request.stop_without_zone' },
  { type: 'request.terminate' },
  { type: 'stop.grace_expired' },
  { type: 'zone.gone' },
  { type: 'propolis.lost_vm' },
  { type: 'zone.removed' },
  { type: 'final.published' },
]

describe('sledVmmMachine', () => {
  it('walks every edge of its graph', () => {
    const adjacency = getAdjacencyMap(sledVmmMachine, {
      input,
      events: EVENTS,
      // Abstract the context to what the guards read, so the walk terminates.
      serializeState: (s) => JSON.stringify([s.value, s.context.state.vmm_state.state, s.context.owner, s.context.stopGraceStarted]),
    })
    const walked = new Set<string>()
    for (const { state, event, nextState } of adjacencyMapToArray(adjacency)) {
      const changed = state.value !== nextState.value || state.context !== nextState.context
      if (changed) walked.add(edgeKey(`sled-vmm.${String(state.value)}`, event.type, `sled-vmm.${String(nextState.value)}`))
    }

    expect([...staticEdges(sledVmmMachine)].filter((edge) => !walked.has(edge))).toEqual([])
    expect(walked.size).toBe(staticEdges(sledVmmMachine).size)
  })

  it('folds a start into running and a halting observation into terminating, then exits in order', () => {
    const actor = createActor(sledVmmMachine, { input }).start()

    actor.send({ type: 'ensure.started' })
    actor.send({ type: 'zone.installed' })
    actor.send(observed('Creating'))
    actor.send(observed('Starting'))
    actor.send(observed('Running'))
    const running = actor.getSnapshot().context.state.vmm_state
    actor.send(observed('Destroyed'))
    const phaseAfterHalt = actor.getSnapshot().value
    actor.send({ type: 'zone.removed' })
    actor.send({ type: 'final.published' })

    expect(running).toMatchObject({ state: 'running', gen: 5 })
    expect(phaseAfterHalt).toBe('terminating')
    expect(actor.getSnapshot().value).toBe('deregistered')
    expect(actor.getSnapshot().context.state.vmm_state).toMatchObject({ state: 'destroyed', gen: 6 })
  })

  it('forces failed and hands the final state to Nexus on unregister', () => {
    const actor = createActor(sledVmmMachine, { input }).start()

    actor.send({ type: 'request.terminate' })

    expect(actor.getSnapshot().value).toBe('terminating')
    expect(actor.getSnapshot().context.owner).toBe('nexus')
    expect(actor.getSnapshot().context.state.vmm_state).toMatchObject({ state: 'failed', gen: 3 })
  })

  it('destroys the VMM when a stop has not finished within the grace period, counted from the first stop', async () => {
    const clock = new VirtualClock()
    const actor = createActor(sledVmmMachine, { input: { ...input, now: () => clock.isoNow() }, clock }).start()
    actor.send({ type: 'ensure.started' })
    actor.send({ type: 'zone.installed' })

    actor.send({ type: 'request.stop' })
    await clock.advance(300_000)
    actor.send({ type: 'request.stop' })
    await clock.advance(299_999)
    const before = actor.getSnapshot().value
    await clock.advance(1)

    expect(before).toBe('active')
    expect(actor.getSnapshot().value).toBe('terminating')
    expect(actor.getSnapshot().context.state.vmm_state).toEqual({ state: 'destroyed', gen: 3, time_updated: '2026-08-21T00:10:00.000Z' })
    expect(actor.getSnapshot().context.owner).toBe('runner')
  })
})
