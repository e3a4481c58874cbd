// The fault plan: what the network does wrong, and when. Rules pick requests by target (sled-agent
// or Nexus internal API), sled, operation id, propolis id and count, and answer with a network
// error, an error status, a delay on the virtual clock, or a hang. Matching is deterministic (rules
// are tried in the order they were added); every use of a rule is marked in the trace.
import { parseDuration, type DurationInput } from './kernel/time.ts'
import type { Trace } from './kernel/trace.ts'

export type FaultTarget = 'sled-agent' | 'nexus-internal'

/** What an injected fault answers instead of the real handler. */
export type FaultResponse =
  | 'network_error'
  | 'hang'
  | { readonly status: number; readonly errorCode?: string; readonly message?: string }
  | { readonly delay: DurationInput }

export interface FaultRule {
  readonly target: FaultTarget
  /** A sled's name or id: for sled-agent faults the sled called, for nexus-internal the sled calling. */
  readonly sled?: string
  /** OpenAPI operation id, e.g. `vmm_put_state` or `cpapi_instances_put`. */
  readonly operation?: string
  readonly propolisId?: string
  /** How many matching requests to affect; unlimited when omitted. */
  readonly times?: number
  readonly respond: FaultResponse
}

/** What a request looks like to the plan. */
export interface FaultSubject {
  readonly target: FaultTarget
  readonly sled: { readonly id: string; readonly name: string } | null
  readonly operation: string | null
  readonly propolisId: string | null
}

export interface FaultHandle {
  readonly id: number
  /** Matching requests still to be affected (Infinity when unlimited). */
  readonly remaining: number
  clear(): void
}

declare module './kernel/trace.ts' {
  interface TraceEventMap {
    'fault.injected': {
      readonly fault: number
      readonly target: FaultTarget
      readonly operation: string | null
      readonly propolis: string | null
      readonly respond: string
    }
  }
}

interface ActiveRule {
  readonly id: number
  readonly rule: FaultRule
  remaining: number
}

export class FaultPlanError extends Error {
  override readonly name = 'FaultPlanError'
}

export class FaultPlan {
  readonly #trace: Trace
  readonly #rules: ActiveRule[] = []
  #nextId = 1

  constructor(trace: Trace) {
    this.#trace = trace
  }

  inject(rule: FaultRule): FaultHandle {
    validateRule(rule)
    const active: ActiveRule = { id: this.#nextId++, rule, remaining: rule.times ?? Number.POSITIVE_INFINITY }
    this.#rules.push(active)
    const rules = this.#rules
    return {
      id: active.id,
      get remaining() {
        return active.remaining
      },
      clear() {
        const index = rules.indexOf(active)
        if (index >= 0) rules.splice(index, 1)
        active.remaining = 0
      },
    }
  }

  /** The response of the first rule that matches, consuming one use of it; null when none does. */
  take(subject: FaultSubject): { readonly fault: number; readonly respond: FaultResponse } | null {
    const active = this.#rules.find((a) => a.remaining > 0 && matches(a.rule, subject))
    if (active === undefined) return null
    active.remaining -= 1
    if (active.remaining === 0) this.#rules.splice(this.#rules.indexOf(active), 1)
    this.#trace.record('fault.injected', {
      fault: active.id,
      target: subject.target,
      operation: subject.operation,
      propolis: subject.propolisId,
      respond: describeResponse(active.rule.respond),
    })
    return { fault: active.id, respond: active.rule.respond }
  }
}

function matches(rule: FaultRule, subject: FaultSubject): boolean {
  if (rule.target !== subject.target) return false
  if (rule.sled !== undefined && (subject.sled === null || (rule.sled !== subject.sled.id && rule.sled !== subject.sled.name))) return false
  if (rule.operation !== undefined && rule.operation !== subject.operation) return false
  if (rule.propolisId !== undefined && rule.propolisId !== subject.propolisId) return false
  return true
}

function validateRule(rule: FaultRule): void {
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new FaultPlanError(`inject fault failed: times must be a positive integer (got ${rule.times})`)
  }
  const r = rule.respond
  if (typeof r === 'object' && 'status' in r && !(Number.isInteger(r.status) && r.status >= 400 && r.status <= 599)) {
    throw new FaultPlanError(`inject fault failed: status must be an HTTP error status 400-599 (got ${r.status})`)
  }
  if (typeof r === 'object' && 'delay' in r) parseDuration(r.delay)
}

export function describeResponse(respond: FaultResponse): string {
  if (typeof respond === 'string') return respond
  if ('delay' in respond) return `delay ${parseDuration(respond.delay)}ms`
  return [String(respond.status), respond.errorCode, respond.message].filter((p) => p !== undefined).join(' ')
}
