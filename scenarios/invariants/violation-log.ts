// The checker's findings: each (invariant, subject) once, stamped with the virtual time it was first
// seen, and handed out in a fixed order (time, invariant, subject) so that reports replay byte for byte.
import { INVARIANT_NAMES, type InvariantName, type InvariantViolation } from './violation.ts'

/** How a check reports a broken rule; a repeat of an (invariant, subject) already reported is dropped. */
export type ReportViolation = (invariant: InvariantName, subject: string, message: string) => void

export class ViolationLog {
  readonly #clock: { elapsed(): number }
  readonly #found = new Map<string, InvariantViolation>()

  constructor(clock: { elapsed(): number }) {
    this.#clock = clock
  }

  readonly report: ReportViolation = (invariant, subject, message) => {
    const key = `${invariant}\u0000${subject}`
    if (this.#found.has(key)) return
    this.#found.set(key, { invariant, at: this.#clock.elapsed(), subject, message })
  }

  list(): InvariantViolation[] {
    return [...this.#found.values()].sort(compareViolations)
  }
}

const RANK = new Map<InvariantName, number>(INVARIANT_NAMES.map((name, i) => [name, i]))

function compareViolations(a: InvariantViolation, b: InvariantViolation): number {
  if (a.at !== b.at) return a.at - b.at
  const rank = (RANK.get(a.invariant) ?? 0) - (RANK.get(b.invariant) ?? 0)
  if (rank !== 0) return rank
  return a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0
}
