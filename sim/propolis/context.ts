// The propolis-server machine's context (published state, request and guest queues, migration
// progress, armed faults) and the pure functions that compute its next values.
// Mirrors: propolis bin/propolis-server/src/lib/vm/{state_publisher,state_driver}.rs@372a574.
import type { MigrationUuid } from '../kernel/ids.ts'
import type { EnsureKind, GuestEvent } from './events.ts'
import type { FaultablePhase, MigrationSide } from './migration-phases.ts'
import { initialQueueState, type RequestQueueState } from './request-queue.ts'
import type {
  PropolisInstanceState,
  PropolisMigrationPhase,
  PropolisMigrationStatus,
  PropolisMonitorResponse,
  PropolisOperation,
  PropolisTiming,
} from './types.ts'

/** An external request the queue accepted, waiting for the driver. */
export type QueuedRequest =
  | { readonly kind: 'Start' }
  | { readonly kind: 'Stop' }
  | { readonly kind: 'Reboot' }
  | { readonly kind: 'MigrateOut'; readonly migrationId: MigrationUuid; readonly faultPhase: FaultablePhase | null }

/** This side's part of the migration under way. */
export interface MigrationProgress {
  readonly side: MigrationSide
  readonly id: MigrationUuid
  /** Index into `phasesOf(side)` of the next phase to publish. */
  readonly step: number
  /** Where an injected fault strikes on this side, if one is armed. */
  readonly faultPhase: FaultablePhase | null
  /** The peer's go-ahead: on the source, the target is ready; on the target, the source said OK. */
  readonly peerSignalled: boolean
}

export interface PropolisContext {
  readonly timing: PropolisTiming
  /** The last published monitor response; null before the first publish of this VM. */
  readonly response: PropolisMonitorResponse | null
  readonly queue: RequestQueueState
  readonly requests: readonly QueuedRequest[]
  readonly guestEvents: readonly GuestEvent[]
  /** Published when rundown completes. */
  readonly finalState: 'Destroyed' | 'Failed'
  readonly migration: MigrationProgress | null
  /** Whether the reboot under way came from a Reboot request (it clears `awaitingReboot`). */
  readonly rebootRequested: boolean
  /** The current operation's timer has fired; it completes once the operation is not hung. */
  readonly timerDue: boolean
  readonly initFaultArmed: boolean
  readonly startFaultArmed: boolean
  readonly hung: readonly PropolisOperation[]
}

export interface PropolisInput {
  readonly timing: PropolisTiming
}

export function initialContext(input: PropolisInput): PropolisContext {
  return {
    timing: input.timing,
    response: null,
    queue: initialQueueState('spec'),
    requests: [],
    guestEvents: [],
    finalState: 'Destroyed',
    migration: null,
    rebootRequested: false,
    timerDue: false,
    initFaultArmed: false,
    startFaultArmed: false,
    hung: [],
  }
}

/** A fresh VM on the same process: gen restarts at 1; faults and hangs belong to the process and stay. */
export function freshVm(context: PropolisContext, init: EnsureKind | null): PropolisContext {
  const migration: MigrationProgress | null =
    init?.kind === 'migration_target'
      ? { side: 'target', id: init.migrationId, step: 0, faultPhase: null, peerSignalled: false }
      : null
  return {
    ...initialContext({ timing: context.timing }),
    queue: initialQueueState(migration === null ? 'spec' : 'migration'),
    migration,
    initFaultArmed: context.initFaultArmed,
    startFaultArmed: context.startFaultArmed,
    hung: context.hung,
  }
}

/** A change to the published state; fields left out keep their values. */
export interface PublishChange {
  readonly state?: PropolisInstanceState
  readonly migration_in?: PropolisMigrationStatus | null
  readonly migration_out?: PropolisMigrationStatus | null
}

/** The next monitor response: the change merged in, gen + 1 (even if nothing else changed). */
export function nextResponse(previous: PropolisMonitorResponse | null, change: PublishChange): PropolisMonitorResponse {
  const state = change.state ?? previous?.state
  if (state === undefined) throw new Error('propolis publish failed: the first publish of a VM must name its state')
  return {
    gen: (previous?.gen ?? 0) + 1,
    state,
    migration: {
      migration_in: change.migration_in !== undefined ? change.migration_in : (previous?.migration.migration_in ?? null),
      migration_out: change.migration_out !== undefined ? change.migration_out : (previous?.migration.migration_out ?? null),
    },
  }
}

/** The change that shows `phase` for this side's migration (`migration_in` on the target). */
export function phaseChange(migration: MigrationProgress, phase: PropolisMigrationPhase): PublishChange {
  const status: PropolisMigrationStatus = { id: migration.id, state: phase }
  return migration.side === 'target' ? { migration_in: status } : { migration_out: status }
}

/** The migration under way; the machine only asks for it in migration states. */
export function currentMigration(context: PropolisContext): MigrationProgress {
  if (context.migration === null) throw new Error('propolis machine failed: no migration under way')
  return context.migration
}

/** Adds a guest event unless an identical one is already queued. */
export function withGuestEvent(queued: readonly GuestEvent[], event: GuestEvent): readonly GuestEvent[] {
  return queued.includes(event) ? queued : [...queued, event]
}
