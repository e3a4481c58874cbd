// The errors of the saga executor: `ActionFailure`, which fails a node and makes the saga unwind, and
// `NexusCrashedError`, which every saga promise of a crashed executor rejects with.
import { NexusApiError } from '../app/errors.ts'

export interface ActionFailureOptions {
  /** What went wrong underneath (a sled-agent client error, a datastore outcome, ...). */
  readonly cause?: unknown
  /** The error the saga's caller should surface to the API client, if the failure has one. */
  readonly apiError?: NexusApiError
  /** True when a saga fault (`SagaFaults.failAt`) made the node fail rather than its action. */
  readonly injected?: boolean
}

/**
 * Thrown by an action to fail its node: the executor logs the message and unwinds. Anything else an
 * action throws is wrapped in one (see `actionFailureFrom`), so no failure is ever lost.
 */
export class ActionFailure extends Error {
  override readonly name = 'ActionFailure'
  readonly apiError: NexusApiError | null
  readonly injected: boolean

  constructor(message: string, options: ActionFailureOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.apiError = options.apiError ?? null
    this.injected = options.injected ?? false
  }
}

/** The failure an action's throw stands for: itself if it is one; a `NexusApiError` keeps its API error. */
export function actionFailureFrom(thrown: unknown): ActionFailure {
  if (thrown instanceof ActionFailure) return thrown
  if (thrown instanceof NexusApiError) return new ActionFailure(thrown.internalMessage, { cause: thrown, apiError: thrown })
  // A plain Error (a bug, say) still fails the node: the saga unwinds and the error is in the log and
  // the outcome, where a test sees it, instead of leaving the saga half done.
  if (thrown instanceof Error) return new ActionFailure(thrown.message, { cause: thrown })
  return new ActionFailure(String(thrown), { cause: thrown })
}

/** What an undo's throw stands for (it makes the saga stuck). */
export function undoErrorFrom(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown), { cause: thrown })
}

/**
 * The executor crashed (a saga fault or `crash()`): it drives no saga any more, and every promise of a
 * saga it was running rejects with this. The sagas stay `running` in the log for `recover()` to finish.
 */
export class NexusCrashedError extends Error {
  override readonly name = 'NexusCrashedError'
}
