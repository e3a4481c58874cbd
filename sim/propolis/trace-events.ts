// The trace events a simulated propolis-server records: each publish, each request and its outcome,
// each injected fault or guest action, and the process coming back or its zone going away.
import type { PropolisInstanceState, PropolisMigrationPhase } from './types.ts'

declare module '../kernel/trace.ts' {
  interface TraceEventMap {
    /** A publish of the state monitor (gen + 1); migration fields are the phases, or null. */
    'propolis.published': {
      readonly propolis: string
      readonly gen: number
      readonly state: PropolisInstanceState
      readonly migration_in: PropolisMigrationPhase | null
      readonly migration_out: PropolisMigrationPhase | null
    }
    /**
     * A request to the server and how it ended: `Run`, `Stop`, `Reboot` (state PUTs), `ensure`,
     * `ensure migration_target`, or `MigrateOut` (a target asking this server to migrate out).
     * Outcomes: `queued`, `ignored`, `201`, or the error (`403 <reason>`, `424 NoInstance`, ...).
     */
    'propolis.request': { readonly propolis: string; readonly request: string; readonly outcome: string }
    /** A fault injected into the server, or something its guest did. */
    'fault.propolis': { readonly propolis: string; readonly fault: string }
    /** The process came back with no VM after a crash, or its zone was removed. */
    'propolis.process': { readonly propolis: string; readonly event: 'restarted' | 'zone_removed' }
  }
}

export {}
