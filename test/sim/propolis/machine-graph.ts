// Edge coverage for the propolis machine: every transition it declares (xstate/graph's
// `toDirectedGraph`, plus the eventless `always` transitions it leaves out), an exploration of the
// reachable (state, event) graph with xstate/graph's `getAdjacencyMap` that records which declared
// transitions each step takes, and the shortest event path to each step.
import { createEmptyActor, type ActorLogic, type AnyActorScope, type AnyTransitionDefinition, type InspectionEvent } from 'xstate'
import { getAdjacencyMap, toDirectedGraph, type AdjacencyMap, type AdjacencyValue, type DirectedGraphNode } from 'xstate/graph'
import type { PropolisContext } from '../../../sim/propolis/context.ts'
import type { PropolisEvent } from '../../../sim/propolis/events.ts'
import { propolisMachine } from '../../../sim/propolis/machine.ts'
import type { PropolisInput } from '../../../sim/propolis/context.ts'

type Snapshot = ReturnType<typeof propolisMachine.getInitialSnapshot>
/** The events a path sends: the machine's own, plus the `xstate.after.*` events its timers raise. */
export type PathEvent = PropolisEvent | { readonly type: `xstate.after.${string}` }

/** Every declared transition, with a readable label. */
export function declaredTransitions(): Map<AnyTransitionDefinition, string> {
  const labels = new Map<AnyTransitionDefinition, string>()
  const label = (t: AnyTransitionDefinition, index: number): string => {
    const targets = t.target?.map((node) => node.id).join(',') ?? '(stays)'
    return `${t.source.id} --${t.eventType === '' ? 'always' : t.eventType}#${index}--> ${targets}`
  }
  const visit = (node: DirectedGraphNode): void => {
    for (const edge of node.edges) {
      const siblings = node.stateNode.transitions.get(edge.transition.eventType) ?? []
      labels.set(edge.transition, label(edge.transition, siblings.indexOf(edge.transition)))
    }
    node.stateNode.always?.forEach((t, i) => labels.set(t, label(t, i)))
    node.children.forEach(visit)
  }
  visit(toDirectedGraph(propolisMachine))
  return labels
}

/** The context that decides behaviour: everything but the timing and the published response (gen grows forever). */
export function stateKey(snapshot: Snapshot): string {
  const { timing: _timing, response: _response, ...rest } = snapshot.context as PropolisContext
  return JSON.stringify({ value: snapshot.value, status: snapshot.status, context: rest })
}

export const eventKey = (event: PathEvent): string => JSON.stringify(event)

/** The `xstate.after.*` events of the timers running in `snapshot`. */
export function timerEvents(snapshot: Snapshot): PathEvent[] {
  return snapshot._nodes.flatMap((node) => node.after.map((t) => ({ type: t.eventType as `xstate.after.${string}` })))
}

export interface Exploration {
  readonly adjacency: AdjacencyMap<Snapshot, PathEvent>
  readonly initial: string
  /** For each declared transition, one (state, event) step that takes it. */
  readonly takenAt: Map<AnyTransitionDefinition, { readonly state: string; readonly event: PathEvent }>
}

/** Walks every (state, event) pair reachable with `events`, recording the transitions each step takes. */
export function explore(input: PropolisInput, events: (snapshot: Snapshot) => readonly PathEvent[]): Exploration {
  let taking: AnyTransitionDefinition[] = []
  const scope = recordingScope((transitions) => taking.push(...transitions))
  const takenAt = new Map<AnyTransitionDefinition, { state: string; event: PathEvent }>()
  const logic: ActorLogic<Snapshot, PathEvent, PropolisInput> = {
    getInitialSnapshot: (_scope, initialInput) => propolisMachine.getInitialSnapshot(scope, initialInput),
    getPersistedSnapshot: (snapshot) => snapshot,
    transition: (snapshot, event) => {
      taking = []
      const next = propolisMachine.transition(snapshot, event as PropolisEvent, scope)
      for (const t of taking) if (!takenAt.has(t)) takenAt.set(t, { state: stateKey(snapshot), event })
      return next
    },
  }
  const adjacency = getAdjacencyMap(logic, { input, events, serializeState: stateKey, serializeEvent: eventKey, limit: 2_000_000 })
  return { adjacency, initial: stateKey(propolisMachine.getInitialSnapshot(scope, input)), takenAt }
}

/** Every explored step: from a state, an event, to a state. */
export function exploredSteps(exploration: Exploration): { readonly from: string; readonly event: PathEvent; readonly to: string }[] {
  const values = Object.values(exploration.adjacency) as AdjacencyValue<Snapshot, PathEvent>[]
  return values.flatMap(({ state, transitions }) =>
    Object.values(transitions).map(({ event, state: next }) => ({ from: stateKey(state), event, to: stateKey(next) })),
  )
}

/** The shortest event path from the initial state to any explored state (one breadth-first pass). */
export function shortestPaths(exploration: Exploration): (target: string) => PathEvent[] {
  const parents = new Map<string, { from: string; event: PathEvent } | null>([[exploration.initial, null]])
  const queue = [exploration.initial]
  for (let i = 0; i < queue.length; i += 1) {
    const from = queue[i] as string
    const value = exploration.adjacency[from as keyof typeof exploration.adjacency] as AdjacencyValue<Snapshot, PathEvent> | undefined
    for (const { event, state } of Object.values(value?.transitions ?? {})) {
      const key = stateKey(state)
      if (parents.has(key)) continue
      parents.set(key, { from, event })
      queue.push(key)
    }
  }
  return (target) => {
    if (!parents.has(target)) throw new Error(`no path to ${target}`)
    const path: PathEvent[] = []
    for (let step = parents.get(target); step != null; step = parents.get(step.from)) path.unshift(step.event)
    return path
  }
}

/** An actor scope for pure `transition` calls that reports each microstep's transitions. */
function recordingScope(onTransitions: (transitions: AnyTransitionDefinition[]) => void): AnyActorScope {
  const empty = createEmptyActor()
  empty.system.inspect({
    next: (event: InspectionEvent) => {
      if (event.type === '@xstate.microstep') onTransitions(event._transitions as AnyTransitionDefinition[])
    },
  })
  return {
    self: empty,
    logger: () => {},
    id: 'graph',
    sessionId: 'graph',
    defer: () => {},
    system: empty.system,
    stopChild: () => {},
    emit: () => {},
    actionExecutor: () => {},
  } as unknown as AnyActorScope
}
