// The Propolis server as the sled-agent sees it: its state values, monitor response, request and
// error shapes (PascalCase enums, as propolis-server serialises them), and the interface of one
// simulated propolis-server process. Mirrors: propolis crates/propolis-api-types-versions@372a574.
import type { MigrationUuid, PropolisUuid } from '../kernel/ids.ts'

/** Propolis `InstanceState`. `Repairing` is reserved (RFD 315) and never published. */
export const PROPOLIS_INSTANCE_STATES = [
  'Creating',
  'Starting',
  'Running',
  'Stopping',
  'Stopped',
  'Rebooting',
  'Migrating',
  'Repairing',
  'Failed',
  'Destroyed',
] as const
export type PropolisInstanceState = (typeof PROPOLIS_INSTANCE_STATES)[number]

/** Propolis `MigrationState` (the phases). `Resume` is never published. */
export const PROPOLIS_MIGRATION_PHASES = [
  'Sync',
  'RamPush',
  'Pause',
  'RamPushDirty',
  'Device',
  'Resume',
  'RamPull',
  'Server',
  'Finish',
  'Error',
] as const
export type PropolisMigrationPhase = (typeof PROPOLIS_MIGRATION_PHASES)[number]

/** Propolis `InstanceStateRequested`: the bare-string body of `PUT /instance/state`. */
export type PropolisStateRequest = 'Run' | 'Stop' | 'Reboot'

export interface PropolisMigrationStatus {
  readonly id: MigrationUuid
  readonly state: PropolisMigrationPhase
}

/** The body of a `GET /instance/state-monitor` reply. `gen` starts at 1 per VM. */
export interface PropolisMonitorResponse {
  readonly gen: number
  readonly state: PropolisInstanceState
  readonly migration: {
    readonly migration_in: PropolisMigrationStatus | null
    readonly migration_out: PropolisMigrationStatus | null
  }
}

/**
 * Why a call to propolis-server failed. `connection`: the process is gone (crashed, or its zone was
 * removed) or hung past the caller's patience; `http`: a dropshot error body (for a 403 queue denial
 * the reason sentence is the `errorCode` and the message is "Forbidden").
 */
export type PropolisError =
  | { readonly kind: 'connection'; readonly message: string }
  | { readonly kind: 'http'; readonly status: number; readonly errorCode: string | null; readonly message: string }

export type PropolisResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: PropolisError }

/** How to initialise the VM (`PUT /instance` `init`). */
export type PropolisEnsureInit =
  | { readonly kind: 'spec' }
  | { readonly kind: 'migration_target'; readonly migrationId: MigrationUuid; readonly sourceAddr: string }

/** Durations (virtual ms) standing in for real work. */
export interface PropolisTiming {
  /** Ensure from a spec: object creation until the VM is Active (the 201). */
  readonly initMs: number
  /** Starting -> Running (devices and backends started, vCPUs running). */
  readonly bootMs: number
  /** Stopping -> Stopped (pause and halt). */
  readonly stopMs: number
  /** Rebooting -> Running. */
  readonly rebootMs: number
  /** Driver exit -> RundownComplete (final state published). */
  readonly rundownMs: number
  /** Each published migration phase on either side. */
  readonly migrationPhaseMs: number
  /** After a crash, SMF restarts propolis-server with no VM (424 NoInstance); null: it never comes back. */
  readonly restartAfterCrashMs: number | null
}

/** Operations that `hang` can freeze (omicron#4004: a stop that never finishes). */
export const PROPOLIS_OPERATIONS = ['init', 'start', 'stop', 'reboot', 'migrate', 'rundown'] as const
export type PropolisOperation = (typeof PROPOLIS_OPERATIONS)[number]

/** Where a migration fault strikes: a published phase on the given side. */
export interface MigrationFault {
  readonly side: 'source' | 'target'
  /** Fail on reaching this phase; default the first phase after Sync. */
  readonly phase?: Exclude<PropolisMigrationPhase, 'Finish' | 'Error' | 'Resume'>
}

/** Finds a propolis-server by its listen address, as a migration target dials its source. */
export interface PropolisNetwork {
  /** The server listening at `addr` reachable from `fromAddr`, or null (nothing there, or partitioned). */
  connect(fromAddr: string, addr: string): PropolisServerHandle | null
}

/** One simulated propolis-server process (one per VMM zone). */
export interface PropolisServerHandle {
  readonly propolisId: PropolisUuid
  readonly addr: string
  /** The last published state, or null before any VM was ensured. */
  readonly state: PropolisInstanceState | null
  /** The last published monitor response, or null before any VM was ensured. */
  readonly published: PropolisMonitorResponse | null

  /** `PUT /instance`: resolves when the VM is Active (201), or with 409 / 500 / a connection error. */
  ensure(init: PropolisEnsureInit): Promise<PropolisResult<{ readonly migrate: { readonly migration_id: MigrationUuid } | null }>>
  /** `PUT /instance/state`: 204 (queued or ignored), 403 (denied), 424 NoInstance. */
  putState(request: PropolisStateRequest): Promise<PropolisResult<void>>
  /** `GET /instance/state-monitor` long poll: immediate if `gen <= current`, else waits; 410 / 424. */
  monitor(gen: number): Promise<PropolisResult<PropolisMonitorResponse>>

  /** Guest-initiated halt (chipset halt). */
  guestShutdown(): void
  /** Guest-initiated reset (chipset reset). */
  guestReboot(): void
  /** A triple fault: a reset, as a guest reboot. */
  tripleFault(): void
  /** An unhandled VM exit: the process panics; calls fail as connection errors until SMF restarts it. */
  crash(): void
  /** The next ensure from a spec fails during object creation (500, Failed). */
  failNextInit(): void
  /** The next start fails while starting backends (Starting, then Failed after rundown). */
  failNextStart(): void
  /** The next migration this server takes part in fails as described. */
  failNextMigration(fault: MigrationFault): void
  /** Stops making progress on the given operations (all when omitted) until `unhang`. */
  hang(operations?: readonly PropolisOperation[]): void
  unhang(): void
  /** The zone is removed: the process is gone for good, every pending and later call is a connection error. */
  destroy(): void
}
