// What a VMM runner answers a request with, and how Propolis failures become sled-agent HTTP
// errors. Mirrors: omicron sled-agent/src/sled_agent.rs and instance.rs@b848b6d (error mapping).
import { reasonPhrase } from '../network.ts'
import type { PropolisError } from '../propolis/types.ts'
import type { SledVmmState } from './api/index.ts'

export type RunnerReply =
  | { readonly kind: 'state'; readonly state: SledVmmState }
  | { readonly kind: 'error'; readonly status: number; readonly errorCode: string | undefined; readonly message: string }
  /** The agent forgot the VMM mid-request (restart, power loss): the connection just drops. */
  | { readonly kind: 'dropped' }

export function runnerError(status: number, errorCode: string | undefined, message: string): RunnerReply {
  return { kind: 'error', status, errorCode, message }
}

/**
 * A Propolis failure on a state change: a 4xx passes through with its status and the reason phrase
 * (the 403 queue denial too: its reason sentence was in Propolis's error_code and is dropped), a
 * 503 stays 503, anything else is a 500.
 */
export function runnerErrorFromPropolis(error: PropolisError): RunnerReply {
  if (error.kind === 'http' && error.status >= 400 && error.status < 500) return runnerError(error.status, undefined, reasonPhrase(error.status))
  if (error.kind === 'http' && error.status === 503) return runnerError(503, undefined, reasonPhrase(503))
  return runnerError(500, 'Internal', 'Internal Server Error')
}
