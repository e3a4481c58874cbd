// Reads a running saga's node log back into where the saga stands, so a restarted executor carries it
// to the end it would have reached: the outputs so far, and the next action or undo to run.
// Mirrors: steno src/saga_log.rs (log replay on recovery), as omicron's saga recovery uses it.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { JsonValue, SagaNodeEvent } from '../db/records.ts'

/** Where a saga stands according to its log. */
export type SagaResumePoint =
  /**
   * Going forward: nodes before `nextNode` succeeded. `startedLogged`: the next node's `started` is in
   * the log but no end, so Nexus died while it ran and it runs again. `nextNode` past the last node
   * means every node succeeded and only the finish is missing.
   */
  | { readonly phase: 'forward'; readonly nextNode: number; readonly startedLogged: boolean; readonly outputs: ReadonlyMap<string, JsonValue> }
  /**
   * Unwinding from `failedNode`: `toUndo` lists the succeeded nodes whose undo has not finished, in
   * the order to undo them (last first); `undoStartedLogged` says the first one's undo had begun.
   */
  | {
      readonly phase: 'unwinding'
      readonly failedNode: string
      readonly error: string
      readonly toUndo: readonly string[]
      readonly undoStartedLogged: boolean
      readonly outputs: ReadonlyMap<string, JsonValue>
    }
  /** An undo failed but the saga was not yet marked stuck: it stays stuck; nothing is retried. */
  | {
      readonly phase: 'stuck'
      readonly failedNode: string
      readonly error: string
      readonly undoNode: string
      readonly undoError: string
      readonly outputs: ReadonlyMap<string, JsonValue>
    }

export class SagaReplayError extends Error {
  override readonly name = 'SagaReplayError'
}

/** Where the saga `sagaName` with nodes `nodeNames` (in order) stands after the logged `events`. */
export function sagaResumePoint(sagaName: string, nodeNames: readonly string[], events: readonly SagaNodeEvent[]): SagaResumePoint {
  const outputs = new Map<string, JsonValue>()
  const started = new Set<string>()
  const undoStarted = new Set<string>()
  const undone = new Set<string>()
  let failed: { readonly node: string; readonly error: string } | null = null
  let undoFailed: { readonly node: string; readonly error: string } | null = null
  for (const event of events) {
    if (!nodeNames.includes(event.node)) {
      throw new SagaReplayError(`saga replay failed: the log names node ${event.node}, which saga ${sagaName} does not have`)
    }
    switch (event.kind) {
      case 'started':
        started.add(event.node)
        break
      case 'succeeded':
        outputs.set(event.node, event.output)
        break
      case 'failed':
        failed = { node: event.node, error: event.error }
        break
      case 'undo_started':
        undoStarted.add(event.node)
        break
      case 'undo_finished':
        undone.add(event.node)
        break
      case 'undo_failed':
        undoFailed = { node: event.node, error: event.error }
        break
      default:
        assertNever(event, 'saga node event')
    }
  }

  // Nodes run one after another, so the succeeded ones must be a prefix of the definition.
  const succeeded = nodeNames.filter((name) => outputs.has(name))
  const prefix = nodeNames.slice(0, succeeded.length)
  if (succeeded.some((name, i) => prefix[i] !== name)) {
    throw new SagaReplayError(`saga replay failed: the log of saga ${sagaName} has nodes succeeding out of order (${succeeded.join(', ')})`)
  }

  if (failed === null) {
    const nextNode = succeeded.length
    const next = nodeNames[nextNode]
    return { phase: 'forward', nextNode, startedLogged: next !== undefined && started.has(next), outputs }
  }
  if (undoFailed !== null) {
    return { phase: 'stuck', failedNode: failed.node, error: failed.error, undoNode: undoFailed.node, undoError: undoFailed.error, outputs }
  }
  const toUndo = succeeded.filter((name) => !undone.has(name)).reverse()
  const first = toUndo[0]
  return {
    phase: 'unwinding',
    failedNode: failed.node,
    error: failed.error,
    toUndo,
    undoStartedLogged: first !== undefined && undoStarted.has(first),
    outputs,
  }
}
