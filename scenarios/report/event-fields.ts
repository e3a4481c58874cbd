// Reads trace events by field name: the reports see kinds from every subsystem, including kinds
// added after they were written, so they read fields by name and type instead of by declared kind.
import type { TraceEvent, TraceValue } from '../../sim/kernel/trace.ts'

/** A trace event seen as plain fields. */
export type EventFields = { readonly seq: number; readonly at: number; readonly kind: string } & { readonly [key: string]: TraceValue }

export function fieldsOf(event: TraceEvent): EventFields {
  return event as unknown as EventFields
}

/** The first of `names` that holds a non-empty string. */
export function str(event: EventFields, ...names: readonly string[]): string | null {
  for (const name of names) {
    const value = event[name]
    if (typeof value === 'string' && value !== '') return value
  }
  return null
}

/** The first of `names` that holds a finite number. */
export function num(event: EventFields, ...names: readonly string[]): number | null {
  for (const name of names) {
    const value = event[name]
    if (typeof value === 'number' && Number.isFinite(value)) return value
  }
  return null
}

/** The propolis (VMM) id in a sled-agent or Nexus-internal path such as `/vmms/{propolis_id}/state`. */
export function propolisInPath(path: string): string | null {
  return /\/vmms\/([^/?#]+)/.exec(path)?.[1] ?? null
}

/** The instance id or name in an external API path such as `/v1/instances/{instance}/start`. */
export function instanceInPath(path: string): string | null {
  return /\/instances\/([^/?#]+)/.exec(path)?.[1] ?? null
}

/** The first 8 characters of an id, for labels (the full id goes in titles). */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id
}
