import { createActor, type AnyTransitionDefinition } from 'xstate'
import { describe, expect, it } from 'vitest'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { propolisMachine } from '../../../sim/propolis/machine.ts'
import { DEFAULT_PROPOLIS_TIMING } from '../../../sim/propolis/timing.ts'
import { PROPOLIS_OPERATIONS } from '../../../sim/propolis/types.ts'
import { MIGRATION_ID } from './harness.ts'
import { invariantViolations, type PublishedEvent } from './invariants.ts'
import { declaredTransitions, explore, exploredSteps, shortestPaths, stateKey, timerEvents, type PathEvent } from './machine-graph.ts'

const input = { timing: DEFAULT_PROPOLIS_TIMING }

// What the outside world can send: HTTP calls, guest actions, faults, and the migration peer.
// Faults and peer messages are only offered where they can matter, to keep the graph small.
const ALWAYS: readonly PathEvent[] = [
  { type: 'ENSURE', init: { kind: 'spec' } },
  { type: 'ENSURE', init: { kind: 'migration_target', migrationId: MIGRATION_ID } },
  { type: 'PUT_STATE', request: 'Run' },
  { type: 'PUT_STATE', request: 'Stop' },
  { type: 'PUT_STATE', request: 'Reboot' },
  { type: 'MIGRATE_OUT', migrationId: MIGRATION_ID, faultPhase: null },
  { type: 'GUEST_HALT' },
  { type: 'GUEST_RESET' },
  { type: 'TRIPLE_FAULT' },
  { type: 'CRASH' },
  { type: 'DESTROY' },
]
const GUEST: readonly string[] = ['GUEST_HALT', 'GUEST_RESET', 'TRIPLE_FAULT']
const SOURCE_FAULTS: readonly PathEvent[] = [
  { type: 'MIGRATE_OUT', migrationId: MIGRATION_ID, faultPhase: 'Sync' },
  { type: 'MIGRATE_OUT', migrationId: MIGRATION_ID, faultPhase: 'RamPush' },
]
const PEER: readonly PathEvent[] = [
  { type: 'PEER_STARTED' },
  { type: 'PEER_READY' },
  { type: 'PEER_OK' },
  { type: 'PEER_FAILED', reason: 'the peer failed' },
  { type: 'HANDSHAKE_OK' },
  { type: 'HANDSHAKE_FAIL' },
  { type: 'ARM_MIGRATION_FAULT', phase: 'Sync' },
  { type: 'ARM_MIGRATION_FAULT', phase: 'RamPush' },
]

function events(snapshot: Parameters<typeof stateKey>[0]): readonly PathEvent[] {
  const { context } = snapshot
  if (snapshot.status !== 'active') return []
  const timers = timerEvents(snapshot)
  const peer = context.migration === null ? [] : PEER
  // While hung only time, the peer and unhang matter.
  if (context.hung.length > 0) return [...timers, ...peer.filter((e) => e.type !== 'ARM_MIGRATION_FAULT'), { type: 'UNHANG' }]
  // One guest event queued at a time is enough to reach every transition.
  const offered = [...ALWAYS.filter((e) => context.guestEvents.length === 0 || !GUEST.includes(e.type)), ...timers, ...peer]
  const faultQueued = context.requests.some((r) => r.kind === 'MigrateOut' && r.faultPhase !== null)
  const perturbed = context.initFaultArmed || context.startFaultArmed || (context.migration?.faultPhase ?? null) !== null || faultQueued
  // At most one fault at a time: each one's consequences are explored on their own.
  if (perturbed) return offered.filter((e) => e.type !== 'ARM_MIGRATION_FAULT')
  if (snapshot.matches({ alive: { active: 'running' } })) offered.push(...SOURCE_FAULTS)
  if (snapshot.matches({ alive: 'noVm' })) offered.push({ type: 'FAIL_NEXT_INIT' })
  if (snapshot.matches({ alive: { active: 'notStarted' } }) || snapshot.matches({ alive: { active: 'migratingIn' } })) offered.push({ type: 'FAIL_NEXT_START' })
  if (context.timerDue === false && timers.length > 0) offered.push({ type: 'HANG', operations: PROPOLIS_OPERATIONS })
  if (context.migration?.peerSignalled === false) offered.push({ type: 'HANG', operations: PROPOLIS_OPERATIONS })
  return offered
}

/** Sends `path` to a real actor on a virtual clock; returns what it published, the transitions it took, and where it ended. */
function replay(path: readonly PathEvent[]) {
  const taken = new Set<AnyTransitionDefinition>()
  const actor = createActor(propolisMachine, {
    clock: new VirtualClock(),
    input,
    inspect: (event) => {
      if (event.type === '@xstate.microstep') for (const t of event._transitions) taken.add(t as AnyTransitionDefinition)
    },
  })
  const published: PublishedEvent[] = []
  actor.on('published', ({ response }) =>
    published.push({ gen: response.gen, state: response.state, migration_in: response.migration.migration_in?.state ?? null, migration_out: response.migration.migration_out?.state ?? null }),
  )
  actor.start()
  // Timer events are sent by hand: the clock never moves, so no timer fires on its own.
  for (const event of path) actor.send(event as Parameters<typeof actor.send>[0])
  return { taken, published, end: stateKey(actor.getSnapshot()) }
}

describe('the propolis-server machine graph', () => {
  const declared = declaredTransitions()
  const exploration = explore(input, events)
  const pathTo = shortestPaths(exploration)

  it('declares the transitions of every wrapper and driver state', () => {
    const sources = new Set([...declared.keys()].map((t) => t.source.id))

    expect([...sources].sort()).toEqual(
      [
        'propolis',
        'propolis.alive',
        'propolis.alive.noVm',
        'propolis.alive.init.creating',
        'propolis.alive.init.sync',
        'propolis.alive.init.sync.awaitingSource',
        'propolis.alive.init.sync.syncing',
        'propolis.alive.active',
        'propolis.alive.active.notStarted',
        'propolis.alive.active.migratingIn',
        'propolis.alive.active.migratingIn.importing',
        'propolis.alive.active.migratingIn.awaitingOk',
        'propolis.alive.active.starting',
        'propolis.alive.active.startingMigrated',
        'propolis.alive.active.running',
        'propolis.alive.active.rebooting',
        'propolis.alive.active.migratingOut',
        'propolis.alive.active.migratingOut.handshake',
        'propolis.alive.active.migratingOut.transferring',
        'propolis.alive.active.migratingOut.awaitingTarget',
        'propolis.alive.active.halting',
        'propolis.alive.active.haltingAfterMigration',
        'propolis.alive.rundown',
        'propolis.alive.rundownComplete',
        'propolis.crashed',
      ].sort(),
    )
  })

  it('reaches every declared transition from the initial state', () => {
    const unreached = [...declared].filter(([t]) => !exploration.takenAt.has(t)).map(([, label]) => label)

    expect(unreached).toEqual([])
  })

  it('walks every declared transition on a real actor along the shortest path to it, keeping the invariants', () => {
    // Arrange
    const paths = [...declared.keys()].map((t) => {
      const step = exploration.takenAt.get(t)
      if (step === undefined) throw new Error(`unreached: ${declared.get(t)}`)
      return { transition: t, path: [...pathTo(step.state), step.event] }
    })

    // Act
    const walked = paths.map(({ transition, path }) => ({ transition, path, ...replay(path) }))

    // Assert
    const missed = walked.filter((w) => !w.taken.has(w.transition)).map((w) => declared.get(w.transition))
    const covered = new Set(walked.flatMap((w) => [...w.taken]))
    const broken = walked.flatMap((w) => invariantViolations(w.published).map((v) => `${declared.get(w.transition)}: ${v}`))
    expect(missed).toEqual([])
    expect([...declared.keys()].filter((t) => !covered.has(t)).map((t) => declared.get(t))).toEqual([])
    expect(broken).toEqual([])
  })

  it('replays every explored step to the state the exploration computed', () => {
    // Arrange
    const steps = exploredSteps(exploration)
    const sample = steps.filter((_, i) => i % 23 === 0)

    // Act
    const ends = sample.map(({ from, event }) => replay([...pathTo(from), event]).end)

    // Assert
    expect(ends).toEqual(sample.map((s) => s.to))
    expect(Object.keys(exploration.adjacency).length).toBeGreaterThan(100)
  })
})
