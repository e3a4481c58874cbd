// Why a start failed, kept on the instance when `recordStartFailures` is on (seed 003, omicron#9185):
// the record built from a failed action's error (or, when no action saw the failure, from the saga
// log), and `startFailureOf`, the camelCase object the instance view shows.
// Simplification: omicron records nothing at b848b6d (omicron-behaviour.md §1.7); this is the proposal.
import type { InstanceUuid, ShortId } from '../../sim/kernel/ids.ts'
import { formatIso } from '../../sim/kernel/time.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { Datastore } from '../db/datastore.ts'
import type { StartFailureRecord, StartReason } from '../db/records.ts'
import type { EpochMillis } from '../types/vmm-runtime-state.ts'
import { ActionFailure } from '../sagas/saga-errors.ts'
import { NexusApiError } from './errors.ts'

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** A start saga's failure was written on its instance (`recordStartFailures`). */
    'nexus.start_failure_recorded': {
      readonly instance: string
      readonly saga: string
      readonly reason: StartReason
      readonly node: string
      readonly status: number | null
    }
  }
}

/** `startFailure` in the instance view. */
export interface StartFailureView {
  /** Why the start ran: `user` (the start API), `auto_start` (in the background after create), `auto_restart`. */
  readonly startReason: StartReason
  /** The start saga node whose action failed. */
  readonly failedNode: string
  /** What a waiting caller got; null when only the saga log's text is known (an injected fault). */
  readonly statusCode: number | null
  readonly errorCode: string | null
  /** The external message. */
  readonly message: string
  /** The internal message Nexus logs, which for a 500 says what actually went wrong. */
  readonly detail: string
  /** Virtual time of the failure, RFC 3339. */
  readonly time: string
  readonly sagaId: string
}

/** The instance's recorded start failure, or null (none, or the instance is gone). */
export function startFailureOf(db: Datastore, instanceId: InstanceUuid): StartFailureView | null {
  const failure = db.instanceGet(instanceId)?.startFailure
  if (failure === undefined) return null
  return {
    startReason: failure.reason,
    failedNode: failure.failedNode,
    statusCode: failure.statusCode,
    errorCode: failure.errorCode,
    message: failure.message,
    detail: failure.detail,
    time: formatIso(failure.time),
    sagaId: failure.sagaId,
  }
}

/** Which start failed, where and when. */
export interface StartFailureSite {
  readonly sagaId: ShortId
  readonly reason: StartReason
  readonly failedNode: string
  readonly time: EpochMillis
}

/** The record for `error`, thrown by the action of `site.failedNode`: what the saga's caller sees. */
export function startFailureFromError(site: StartFailureSite, error: unknown): StartFailureRecord {
  const api = error instanceof NexusApiError ? error : error instanceof ActionFailure ? error.apiError : null
  if (api !== null) return { ...site, statusCode: api.statusCode, errorCode: api.errorCode ?? null, message: api.message, detail: api.internalMessage }
  // Anything else surfaces from the saga as a 500, as `instanceStart` maps it.
  const detail = error instanceof Error ? error.message : String(error)
  return { ...site, statusCode: 500, errorCode: 'Internal', message: 'Internal Server Error', detail }
}

/** The record for a failure known only from the saga log (its text): no status survives there. */
export function startFailureFromLog(site: StartFailureSite, logged: string): StartFailureRecord {
  return { ...site, statusCode: null, errorCode: null, message: logged, detail: logged }
}

/** Writes the record on the instance (a gone instance has nothing to show it on) and traces it. */
export function recordStartFailure(db: Datastore, trace: Trace, instanceId: InstanceUuid, failure: StartFailureRecord): void {
  if (db.instanceSetStartFailure(instanceId, failure).kind === 'not_found') return
  trace.record('nexus.start_failure_recorded', {
    instance: instanceId,
    saga: failure.sagaId,
    reason: failure.reason,
    node: failure.failedNode,
    status: failure.statusCode,
  })
}
