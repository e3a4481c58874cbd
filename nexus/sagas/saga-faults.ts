// Saga faults (`tb.sagaFaults`): fail a node's action or undo, or crash Nexus at a step of a saga.
// The plan outlives any one executor, as a test's intent outlives the Nexus it crashes; the executor
// consults it at each step and marks every fault it takes in the trace (`fault.saga`).
import type { NexusApiError } from '../app/errors.ts'
import { ActionFailure } from './saga-errors.ts'

/**
 * Where in a node's life Nexus dies:
 * - `after_succeeded`: the action ran and its `succeeded` is logged (between two steps);
 * - `before_succeeded`: the action's effects are done but not logged, so recovery runs it again;
 * - `after_failed`: the action failed and that is logged, but no undo has run;
 * - `after_undo_finished`: the node's undo ran and is logged (in the middle of unwinding);
 * - `before_undo_finished`: the undo's effects are done but not logged, so recovery runs it again.
 */
export const SAGA_CRASH_POINTS = ['after_succeeded', 'before_succeeded', 'after_failed', 'after_undo_finished', 'before_undo_finished'] as const
export type SagaCrashPoint = (typeof SAGA_CRASH_POINTS)[number]

/** The name a fault carries in the trace. */
export type SagaFaultName = 'fail_action' | 'fail_undo' | `crash_${SagaCrashPoint}`

export type SagaFaultRule =
  /** The node's action is not run; the node fails with an injected `ActionFailure` carrying `apiError`. */
  | { readonly kind: 'fail_action'; readonly saga: string; readonly node: string; readonly apiError: NexusApiError | null }
  /** The node's undo is not run; it fails, so the saga ends stuck. */
  | { readonly kind: 'fail_undo'; readonly saga: string; readonly node: string }
  | { readonly kind: 'crash'; readonly saga: string; readonly node: string; readonly at: SagaCrashPoint }

export interface SagaFaultHandle {
  readonly rule: SagaFaultRule
  /** How many more times the fault fires (`Infinity` for always). */
  readonly remaining: number
  /** How many times it has fired. */
  readonly fired: number
  clear(): void
}

export interface SagaFaultTimes {
  /** How many times the fault fires before it is spent; default 1. `Infinity` for every time. */
  readonly times?: number
}

export class SagaFaultError extends Error {
  override readonly name = 'SagaFaultError'
}

interface ArmedRule {
  readonly rule: SagaFaultRule
  remaining: number
  fired: number
}

export class SagaFaults {
  readonly #rules: ArmedRule[] = []

  /** Makes `nodeName`'s action fail instead of running; the saga surfaces `error` if given. */
  failAt(sagaName: string, nodeName: string, options: SagaFaultTimes & { readonly error?: NexusApiError } = {}): SagaFaultHandle {
    return this.#arm({ kind: 'fail_action', saga: sagaName, node: nodeName, apiError: options.error ?? null }, options)
  }

  /** Makes `nodeName`'s undo fail instead of running, leaving the saga stuck. */
  failUndoAt(sagaName: string, nodeName: string, options: SagaFaultTimes = {}): SagaFaultHandle {
    return this.#arm({ kind: 'fail_undo', saga: sagaName, node: nodeName }, options)
  }

  /** Crashes the executor at `at` (default `after_succeeded`) of `nodeName`. */
  crashNexusAfter(sagaName: string, nodeName: string, options: SagaFaultTimes & { readonly at?: SagaCrashPoint } = {}): SagaFaultHandle {
    return this.#arm({ kind: 'crash', saga: sagaName, node: nodeName, at: options.at ?? 'after_succeeded' }, options)
  }

  /** Disarms every fault. */
  clear(): void {
    this.#rules.length = 0
  }

  /** The faults still armed, in the order they were added. */
  armed(): SagaFaultRule[] {
    return this.#rules.map((r) => r.rule)
  }

  /** For the executor: the injected failure if a `fail_action` fault fires for this node now. */
  takeActionFailure(sagaName: string, nodeName: string): ActionFailure | null {
    const armed = this.#take((r) => r.kind === 'fail_action' && r.saga === sagaName && r.node === nodeName)
    if (armed === null || armed.rule.kind !== 'fail_action') return null
    const apiError = armed.rule.apiError
    const message = `action failed: injected by sagaFaults.failAt (${sagaName}/${nodeName})`
    return new ActionFailure(message, apiError === null ? { injected: true } : { injected: true, apiError, cause: apiError })
  }

  /** For the executor: the injected error if a `fail_undo` fault fires for this node now. */
  takeUndoFailure(sagaName: string, nodeName: string): Error | null {
    const armed = this.#take((r) => r.kind === 'fail_undo' && r.saga === sagaName && r.node === nodeName)
    return armed === null ? null : new SagaFaultError(`undo failed: injected by sagaFaults.failUndoAt (${sagaName}/${nodeName})`)
  }

  /** For the executor: whether a crash fault fires at this point now. */
  takeCrash(sagaName: string, nodeName: string, at: SagaCrashPoint): boolean {
    return this.#take((r) => r.kind === 'crash' && r.saga === sagaName && r.node === nodeName && r.at === at) !== null
  }

  #arm(rule: SagaFaultRule, options: SagaFaultTimes): SagaFaultHandle {
    const times = options.times ?? 1
    if (!(times === Infinity || (Number.isInteger(times) && times > 0))) {
      throw new RangeError(`saga fault failed: times must be a positive integer or Infinity (got ${times})`)
    }
    const armed: ArmedRule = { rule, remaining: times, fired: 0 }
    this.#rules.push(armed)
    const rules = this.#rules
    return {
      rule,
      get remaining() {
        return armed.remaining
      },
      get fired() {
        return armed.fired
      },
      clear() {
        const at = rules.indexOf(armed)
        if (at >= 0) rules.splice(at, 1)
      },
    }
  }

  // The first armed rule that matches fires once; a spent rule leaves the plan.
  #take(matches: (rule: SagaFaultRule) => boolean): ArmedRule | null {
    const at = this.#rules.findIndex((r) => matches(r.rule))
    const armed = this.#rules[at]
    if (armed === undefined) return null
    armed.remaining -= 1
    armed.fired += 1
    if (armed.remaining <= 0) this.#rules.splice(at, 1)
    return armed
  }
}

