// Nexus's client for the sled-agent VMM endpoints: real `fetch` calls, responses validated with the
// wire schemas, and failures classified as progenitor classifies them (communication error, error
// response, invalid payload). Mirrors: omicron's generated sled-agent client and
// nexus/src/app/instance.rs@b848b6d (`SledAgentInstanceError`, `vmm_gone`).
import type { z } from 'zod'
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { PropolisUuid } from '../../sim/kernel/ids.ts'
import {
  ErrorBodySchema,
  NO_SUCH_INSTANCE,
  pathFor,
  SLED_AGENT_ROUTES,
  SledVmmStateSchema,
  UpdatedRuntimeResponseSchema,
  type InstanceEnsureBodyInput,
  type SledAgentOperation,
  type SledVmmState,
  type VmmStateRequested,
} from '../../sim/sled-agent/api/index.ts'
import { internalError, invalidRequest, NexusApiError, serviceUnavailable } from './errors.ts'

/** How a sled-agent call failed. */
export type SledAgentFailure =
  | { readonly kind: 'communication'; readonly timeout: boolean; readonly message: string }
  | { readonly kind: 'error_response'; readonly status: number; readonly errorCode: string | undefined; readonly message: string }
  | { readonly kind: 'invalid_payload'; readonly message: string }

export class SledAgentClientError extends Error {
  override readonly name = 'SledAgentClientError'
  readonly failure: SledAgentFailure
  readonly operation: SledAgentOperation

  constructor(operation: SledAgentOperation, url: string, method: string, failure: SledAgentFailure) {
    super(`${operation} failed: ${describe(failure)} (${method} ${url})`)
    this.operation = operation
    this.failure = failure
  }
}

function describe(failure: SledAgentFailure): string {
  switch (failure.kind) {
    case 'communication':
      return failure.timeout ? 'request timed out' : `communication error: ${failure.message}`
    case 'error_response':
      return `${failure.status} ${failure.errorCode ?? ''} ${failure.message}`.replace(/\s+/g, ' ')
    case 'invalid_payload':
      return `invalid response payload: ${failure.message}`
  }
}

/** RFD 486: the VMM is gone only on 404 with `NO_SUCH_INSTANCE` (a 410 from a terminating VMM is not). */
export function isVmmGone(error: SledAgentClientError): boolean {
  const { failure } = error
  return failure.kind === 'error_response' && failure.status === 404 && failure.errorCode === NO_SUCH_INSTANCE
}

/**
 * Whether the pre-2024 rule failed the instance on this error (`handle_instance_put_result`, omicron
 * #4226, removed by #4682): only what the conversion below turns into InvalidRequest, a 4xx response,
 * left the instance alone; a 5xx (503 included), no answer at all, or a bad payload meant "we do not
 * know what state the instance is in", and it was marked failed.
 */
export function failedInstanceBefore4682(error: SledAgentClientError): boolean {
  const { failure } = error
  switch (failure.kind) {
    case 'error_response':
      return !(failure.status >= 400 && failure.status < 500)
    // Flattened to InternalError by the From impl, hence failed even when the blip was transient.
    case 'communication':
    case 'invalid_payload':
      return true
    default:
      return assertNever(failure, 'sled-agent failure')
  }
}

/** The generic mapping (sagas, and anything not a direct stop/reboot): progenitor error -> external error. */
export function externalErrorFromSledAgent(error: SledAgentClientError): NexusApiError {
  const { failure } = error
  if (failure.kind !== 'error_response') return internalError(error.message)
  if (failure.status === 503) return serviceUnavailable(failure.message)
  if (failure.status >= 400 && failure.status < 500) return invalidRequest(failure.message)
  return internalError(failure.message)
}

const GONE_MESSAGE = 'The instance was running but is no longer reachable. It is being moved to the Failed state.'

/** The mapping for stop, reboot and the other direct instance calls (RFD 486 §6.3). */
export function instanceErrorFromSledAgent(error: SledAgentClientError): NexusApiError {
  const { failure } = error
  if (failure.kind === 'communication') return new NexusApiError(failure.timeout ? 504 : 502, 'Internal', 'Internal Server Error', error.message)
  if (isVmmGone(error)) return new NexusApiError(503, undefined, GONE_MESSAGE, error.message)
  return externalErrorFromSledAgent(error)
}

export interface SledAgentClientDeps {
  readonly clock: VirtualClock
  /** Omicron's sled client gives up after 60 s. */
  readonly timeoutMs?: number
  /** How requests are sent; the global `fetch` (which MSW intercepts) by default. */
  readonly fetch?: typeof fetch
}

export class SledAgentClient {
  readonly #baseUrl: string
  readonly #clock: VirtualClock
  readonly #timeoutMs: number
  readonly #fetch: typeof fetch

  constructor(baseUrl: string, deps: SledAgentClientDeps) {
    this.#baseUrl = baseUrl
    this.#clock = deps.clock
    this.#timeoutMs = deps.timeoutMs ?? 60_000
    this.#fetch = deps.fetch ?? globalFetch
  }

  vmmRegister(propolisId: PropolisUuid, body: InstanceEnsureBodyInput): Promise<SledVmmState> {
    return this.#call('vmm_register', propolisId, body, SledVmmStateSchema)
  }

  async vmmUnregister(propolisId: PropolisUuid): Promise<SledVmmState | null> {
    return (await this.#call('vmm_unregister', propolisId, undefined, UpdatedRuntimeResponseSchema)).updated_runtime
  }

  async vmmPutState(propolisId: PropolisUuid, state: VmmStateRequested): Promise<SledVmmState | null> {
    return (await this.#call('vmm_put_state', propolisId, { state }, UpdatedRuntimeResponseSchema)).updated_runtime
  }

  vmmGetState(propolisId: PropolisUuid): Promise<SledVmmState> {
    return this.#call('vmm_get_state', propolisId, undefined, SledVmmStateSchema)
  }

  async #call<S extends z.ZodType>(operation: SledAgentOperation, propolisId: PropolisUuid, body: unknown, schema: S): Promise<z.output<S>> {
    const route = SLED_AGENT_ROUTES[operation]
    const url = `${this.#baseUrl}${pathFor(route.path, { propolis_id: propolisId })}`
    const fail = (failure: SledAgentFailure) => new SledAgentClientError(operation, url, route.method, failure)
    const abort = new AbortController()
    const timer = this.#clock.setTimeout(() => abort.abort(), this.#timeoutMs)
    let response: Response
    let text: string
    try {
      response = await this.#fetch(url, {
        method: route.method,
        signal: abort.signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      })
      text = await response.text()
    } catch (error) {
      throw fail({ kind: 'communication', timeout: abort.signal.aborted, message: error instanceof Error ? error.message : String(error) })
    } finally {
      this.#clock.clearTimeout(timer)
    }
    const json = parseJson(text)
    if (!response.ok) {
      const parsed = ErrorBodySchema.safeParse(json)
      if (!parsed.success) throw fail({ kind: 'invalid_payload', message: `error response ${response.status} without a dropshot error body` })
      throw fail({ kind: 'error_response', status: response.status, errorCode: parsed.data.error_code, message: parsed.data.message })
    }
    const parsed = schema.safeParse(json)
    if (!parsed.success) throw fail({ kind: 'invalid_payload', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') })
    return parsed.data
  }
}

/** The global `fetch`, looked up at each call (MSW patches it once a host is served). */
export const globalFetch: typeof fetch = (input, init) => fetch(input, init)

function parseJson(text: string): unknown {
  try {
    return text === '' ? null : (JSON.parse(text) as unknown)
  } catch {
    return undefined
  }
}
