// The trace: an append-only log of typed events stamped with virtual time. It renders one line per
// event for timelines, serialises to JSONL, and hashes canonically (sorted keys) so that two runs
// can be compared byte for byte. Subsystems add their event kinds by augmenting `TraceEventMap`.
import { createHash } from 'node:crypto'
import { formatElapsed } from './time.ts'

/** A JSON value that may appear in an event's fields. */
export type TraceValue = string | number | boolean | null | readonly TraceValue[] | { readonly [key: string]: TraceValue }

/**
 * Event kinds and their fields. Other modules extend it with
 * `declare module '<path>/sim/kernel/trace.ts' { interface TraceEventMap { 'vmm.transition': {...} } }`.
 * Kinds are dot-namespaced: requests imperative, facts past tense, injected faults under `fault.`.
 */
export interface TraceEventMap {
  /** Free text from a scenario or test, for orientation in a timeline. */
  note: { readonly text: string }
}

export type TraceKind = keyof TraceEventMap

type Fields = { readonly [key: string]: TraceValue }

/** One recorded event: `seq` orders events, `at` is virtual ms since the clock started. */
export type TraceEvent<K extends TraceKind = TraceKind> = {
  [P in K]: { readonly seq: number; readonly at: number; readonly kind: P } & TraceEventMap[P]
}[K]

export type TraceListener = (event: TraceEvent) => void

/** What the trace needs from a clock. */
export interface TraceClock {
  elapsed(): number
}

export interface TraceOptions {
  /**
   * `'events'` (the default) keeps every event; `'counts'` keeps only how many of each kind were
   * recorded, for runs of millions of events: listeners still see every event, but `events()`,
   * `lines()`, `tail()`, `toJsonl()` and `hash()` see none.
   */
  readonly keep?: 'events' | 'counts'
}

export class Trace {
  readonly #clock: TraceClock
  readonly #events: TraceEvent[] = []
  readonly #listeners = new Set<TraceListener>()
  readonly #keepEvents: boolean
  readonly #counts = new Map<string, number>()
  #size = 0

  constructor(clock: TraceClock, options: TraceOptions = {}) {
    this.#clock = clock
    this.#keepEvents = (options.keep ?? 'events') === 'events'
  }

  /** Events recorded so far (kept or only counted). */
  get size(): number {
    return this.#size
  }

  /** How many events of each kind were recorded, kinds in the order first seen. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.#counts)
  }

  /** Appends an event at the current virtual time and tells every listener. */
  record<K extends TraceKind>(kind: K, fields: TraceEventMap[K] & Fields): TraceEvent<K> {
    const event = Object.freeze({ seq: this.#size, at: this.#clock.elapsed(), kind, ...fields })
    this.#size += 1
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1)
    // A generic K does not narrow the mapped union, so the event is widened once here.
    const widened = event as unknown as TraceEvent
    if (this.#keepEvents) this.#events.push(widened)
    for (const listener of this.#listeners) listener(widened)
    return event as unknown as TraceEvent<K>
  }

  /** Calls `listener` for every event recorded from now on; returns the unsubscribe function. */
  subscribe(listener: TraceListener): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** The events so far (a snapshot; later records do not appear in it). */
  events(): readonly TraceEvent[] {
    return this.#events.slice()
  }

  /** One line per event: virtual time first, then the kind, then `key=value` fields. */
  lines(): string[] {
    return this.#events.map(renderEvent)
  }

  /** The last `n` lines, for error messages. */
  tail(n: number): string[] {
    return this.#events.slice(Math.max(0, this.#events.length - n)).map(renderEvent)
  }

  /** One canonical JSON object per line. */
  toJsonl(): string {
    return this.#events.map((event) => canonicalJson(event)).join('\n') + (this.#events.length > 0 ? '\n' : '')
  }

  /** SHA-256 of the canonical JSONL: equal hashes mean byte-identical traces. */
  hash(): string {
    return createHash('sha256').update(this.toJsonl()).digest('hex')
  }
}

/** Renders one event as a timeline line, e.g. `   1.500s  vmm.transition  propolis=… state=running gen=3`. */
export function renderEvent(event: TraceEvent): string {
  const { seq: _seq, at, kind, ...fields } = event as unknown as { seq: number; at: number; kind: string } & Fields
  const rendered = Object.entries(fields).map(([key, value]) => `${key}=${renderValue(value)}`)
  return [formatElapsed(at).padStart(10), kind, ...rendered].join('  ').trimEnd()
}

function renderValue(value: TraceValue): string {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value)
  return canonicalJson(value)
}

/** JSON with object keys sorted at every level, so equal values serialise to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key]
    return sorted
  })
}
