// The virtual clock: the only source of time in a testbed. Timers live in a heap ordered by deadline
// and scheduling order; time moves only when someone calls advance/advanceTo. Between two timers the
// clock lets pending promise work (and any held in-flight work) settle, so each callback observes
// the world exactly as it was at its own deadline.
import { TimerHeap, type TimerEntry } from './timer-heap.ts'
import { formatIso } from './time.ts'

/** Opaque handle returned by `setTimeout`; pass it to `clearTimeout`. */
export interface TimerHandle {
  readonly due: number
  readonly seq: number
}

export interface VirtualClockOptions {
  /** Virtual wall-clock time at which the clock starts, in Unix epoch ms. */
  readonly epoch?: number
  /** How many event-loop turns `settle` may spend waiting for held work before it gives up. */
  readonly maxSettleTurns?: number
}

/** 2026-08-21T00:00:00Z: the date of the Omicron snapshot the testbed models. */
export const DEFAULT_EPOCH_MS = Date.UTC(2026, 7, 21)

export class NotQuiescentError extends Error {
  override readonly name = 'NotQuiescentError'
}

export class VirtualClock {
  readonly epoch: number
  readonly #heap = new TimerHeap()
  readonly #maxSettleTurns: number
  readonly #holds = new Map<number, string>()
  #now: number
  #seq = 0
  #holdSeq = 0
  #advancing = false

  constructor(options: VirtualClockOptions = {}) {
    this.epoch = options.epoch ?? DEFAULT_EPOCH_MS
    this.#now = this.epoch
    this.#maxSettleTurns = options.maxSettleTurns ?? 10_000
  }

  /** Virtual time in Unix epoch ms. */
  now(): number {
    return this.#now
  }

  /** Virtual ms since the clock started. */
  elapsed(): number {
    return this.#now - this.epoch
  }

  /** Virtual time as an RFC 3339 string in UTC. */
  isoNow(): string {
    return formatIso(this.#now)
  }

  /** Timers scheduled and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#heap.size
  }

  /** Deadline of the next timer, if any. */
  nextDue(): number | undefined {
    return this.#heap.peek()?.due
  }

  // Arrow properties, so the clock can be handed to XState (`createActor(m, { clock })`) or
  // destructured without losing `this`.
  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    const entry: TimerEntry = { due: this.#now + delay, seq: this.#seq++, callback, status: 'pending' }
    this.#heap.push(entry)
    return entry
  }

  clearTimeout = (handle: TimerHandle | undefined): void => {
    if (handle === undefined) return
    this.#heap.cancel(handle as TimerEntry)
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimeout(resolve, ms)
    })
  }

  /**
   * Marks asynchronous work that settles without virtual time passing (an in-flight intercepted
   * request, say); `settle` waits for every hold to be released. Returns the release function.
   */
  hold(label: string): () => void {
    const id = this.#holdSeq++
    this.#holds.set(id, label)
    return () => {
      this.#holds.delete(id)
    }
  }

  /** Runs everything due now (timers at the current time, pending promise work) without moving time. */
  async settle(): Promise<void> {
    await this.#runUntil(this.#now)
  }

  /** Moves time forward by `ms`, firing every timer due on the way in deadline order. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`advance failed: duration must be a non-negative number of ms (got ${ms})`)
    await this.#runUntil(this.#now + ms)
  }

  /** Moves time forward to `t` (Unix epoch ms). Moving backwards is an error. */
  async advanceTo(t: number): Promise<void> {
    if (!(t >= this.#now)) {
      throw new RangeError(`advanceTo failed: ${formatIso(t)} is before the current time ${this.isoNow()}`)
    }
    await this.#runUntil(t)
  }

  async #runUntil(target: number): Promise<void> {
    if (this.#advancing) throw new Error('clock failed: advance or settle called while the clock is already running')
    this.#advancing = true
    try {
      await this.#drain()
      for (let next = this.#heap.peek(); next !== undefined && next.due <= target; next = this.#heap.peek()) {
        this.#heap.pop()
        // Time jumps to the timer's own deadline, so timers it sets count from when it was due.
        this.#now = next.due
        next.callback()
        await this.#drain()
      }
      this.#now = target
    } finally {
      this.#advancing = false
    }
  }

  // One macrotask turn drains every queued microtask and nextTick; keep turning while held work
  // is still in flight.
  async #drain(): Promise<void> {
    for (let turn = 0; ; turn += 1) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      if (this.#holds.size === 0) return
      if (turn >= this.#maxSettleTurns) {
        const held = [...this.#holds.values()].join(', ')
        throw new NotQuiescentError(`settle failed: work still in flight after ${turn} turns (${held})`)
      }
    }
  }
}
