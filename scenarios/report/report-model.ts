// The input of every report (text timeline, HTML): the outcome of running scenarios, with their
// traces. The runner builds it; the reports only read it. Everything in it is deterministic.
import type { TraceEvent } from '../../sim/kernel/trace.ts'
import type { InvariantViolation } from '../invariants/violation.ts'

/** One assertion or step that did not hold. `step` is the index in `steps`, null for the run itself. */
export interface StepFailure {
  readonly step: number | null
  /** The step's kind (`assertInstance`, `instanceStart`, ...), or `run`. */
  readonly kind: string
  readonly message: string
}

export interface ScenarioRunReport {
  readonly name: string
  readonly description: string
  readonly seed: number
  /** True when every step and assertion held and no undeclared invariant violation was found. */
  readonly passed: boolean
  readonly failures: readonly StepFailure[]
  /** Every violation found, expected or not. */
  readonly violations: readonly InvariantViolation[]
  /** The invariants the scenario declared it expects to break. */
  readonly expectedViolations: readonly string[]
  /** Virtual ms when the run ended. */
  readonly endedAt: number
  /** Epoch ms of virtual time zero (the clock's epoch), for absolute timestamps. */
  readonly epochMs: number
  readonly trace: readonly TraceEvent[]
  /** SHA-256 of the canonical JSONL trace. */
  readonly traceHash: string
  /**
   * Human names of ids the run used (instance id → `db1`, sled id → `sled-2`), which the trace does
   * not carry; the HTML report labels lanes with them. Optional: without it lanes show short ids.
   */
  readonly names?: { readonly [id: string]: string }
}

export interface CatalogueReport {
  readonly title: string
  readonly scenarios: readonly ScenarioRunReport[]
}
