// The replies propolis-server gives over HTTP, as `PropolisResult`s: dropshot error bodies with
// propolis's error codes and messages, and the connection errors of a process that is not there.
// Mirrors: propolis bin/propolis-server/src/lib/server.rs@372a574.
import { assertNever } from '../kernel/assert-never.ts'
import type { RequestOutcome } from './events.ts'
import { DENIAL_SENTENCES, forbiddenErrorCode, type DenialReason } from './request-queue.ts'
import type { PropolisError, PropolisResult } from './types.ts'

export function ok<T>(value: T): PropolisResult<T> {
  return { ok: true, value }
}

export function failure<T>(error: PropolisError): PropolisResult<T> {
  return { ok: false, error }
}

/** No VM (never created, run down, or lost in a crash), or a state PUT outside Active. */
export const NO_INSTANCE: PropolisError = { kind: 'http', status: 424, errorCode: 'NoInstance', message: 'Server not initialized (no instance)' }

export const ALREADY_INITIALIZED: PropolisError = {
  kind: 'http',
  status: 409,
  errorCode: 'AlreadyInitialized',
  message: 'instance already initialized',
}

/** A queue denial: the reason goes in `error_code`, and the message is only "Forbidden". */
export function forbidden(reason: DenialReason): PropolisError {
  return { kind: 'http', status: 403, errorCode: forbiddenErrorCode(reason), message: 'Forbidden' }
}

/** A monitor poll for a generation the closed publisher will never reach. */
export function generationGone(gen: number): PropolisError {
  return { kind: 'http', status: 410, errorCode: 'NoInstance', message: `No instance present; will never reach generation ${gen}` }
}

export function initFailed(message: string): PropolisError {
  return { kind: 'http', status: 500, errorCode: null, message }
}

/** `refused`: nothing listens at the address; `reset`: the process died while the call was in flight. */
export function connectionError(operation: string, addr: string, how: 'refused' | 'reset'): PropolisError {
  return { kind: 'connection', message: `${operation} failed: connection ${how} (${addr})` }
}

/** A result as one short trace word: `queued`, `201`, `403 <reason sentence>`, `connection error`, ... */
export function describeResult(result: PropolisResult<unknown>, success: string): string {
  if (result.ok) return success
  const { error } = result
  if (error.kind === 'connection') return 'connection error'
  if (error.status === 403) {
    const sentence = Object.values(DENIAL_SENTENCES).find((s) => error.errorCode?.endsWith(s))
    return `403 ${sentence ?? error.errorCode ?? error.message}`
  }
  return `${error.status} ${error.errorCode ?? error.message}`
}

/** The reply to a state PUT (or a MigrateOut) from how the queue answered it. */
export function stateReply(outcome: RequestOutcome): PropolisResult<void> {
  switch (outcome.kind) {
    case 'queued':
    case 'ignored':
      return ok(undefined)
    case 'denied':
      return failure(forbidden(outcome.reason))
    case 'no_instance':
      return failure(NO_INSTANCE)
    default:
      return assertNever(outcome, 'request outcome')
  }
}
