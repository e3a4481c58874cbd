// The external request queue's admission rules: whether a Run, Stop, Reboot or MigrateOut is
// enqueued, ignored as a duplicate or denied (with propolis's reason sentence), and how the
// driver's completion notifications update the queue. Pure functions over plain data.
// Mirrors: propolis bin/propolis-server/src/lib/vm/request_queue.rs@372a574.
import { assertNever } from '../kernel/assert-never.ts'

/** The queue's view of the VM. MigratedOut, Stopped and Failed are terminal. */
export const QUEUE_STATES = ['NotStarted', 'StartPending', 'Running', 'MigratedOut', 'Stopped', 'Failed'] as const
export type QueueState = (typeof QUEUE_STATES)[number]

export const TERMINAL_QUEUE_STATES = ['MigratedOut', 'Stopped', 'Failed'] as const satisfies readonly QueueState[]
type TerminalQueueState = (typeof TERMINAL_QUEUE_STATES)[number]

/** What the queue can be asked: the three state requests plus a migration target's MigrateOut. */
export const QUEUE_REQUESTS = ['Start', 'Stop', 'Reboot', 'MigrateOut'] as const
export type QueueRequest = (typeof QUEUE_REQUESTS)[number]

/** The queue's state and flags (`RequestQueue` in propolis). */
export interface RequestQueueState {
  readonly qstate: QueueState
  readonly awaitingStop: boolean
  readonly awaitingReboot: boolean
  readonly awaitingMigrationOut: boolean
}

/** propolis `RequestDeniedReason`. */
export const DENIAL_REASONS = [
  'MigratedOut',
  'Stopped',
  'Failed',
  'HaltPending',
  'InvalidForMigrationSource',
  'InstanceNotActive',
  'StartInProgress',
  'AlreadyMigrationSource',
] as const
export type DenialReason = (typeof DENIAL_REASONS)[number]

/** Each reason's `Display` text, as propolis writes it. */
export const DENIAL_SENTENCES = {
  MigratedOut: 'Instance has migrated out and is being torn down',
  Stopped: 'Instance has already halted',
  Failed: 'Instance failed to start or halted due to a failure',
  HaltPending: 'Instance is preparing to stop',
  InvalidForMigrationSource: 'Operation cannot be performed on a migration source',
  InstanceNotActive: 'Operation requires an active instance',
  StartInProgress: 'Instance is currently starting',
  AlreadyMigrationSource: 'Instance is already a migration source',
} as const satisfies Record<DenialReason, string>

/**
 * The `error_code` of a 403 from `PUT /instance/state`: propolis puts the whole error text there
 * (and only "Forbidden" in the message), so sled-agent cannot parse it as an `ErrorCode`.
 */
export function forbiddenErrorCode(reason: DenialReason): string {
  return `instance state change not allowed: ${DENIAL_SENTENCES[reason]}`
}

export type QueueDecision =
  | { readonly kind: 'enqueue'; readonly next: RequestQueueState }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'deny'; readonly reason: DenialReason }

/** A spec VM waits for Run; a migration target starts by itself once the import is done. */
export function initialQueueState(initKind: 'spec' | 'migration'): RequestQueueState {
  return {
    qstate: initKind === 'spec' ? 'NotStarted' : 'StartPending',
    awaitingStop: false,
    awaitingReboot: false,
    awaitingMigrationOut: false,
  }
}

export function isTerminalQueueState(qstate: QueueState): qstate is TerminalQueueState {
  return (TERMINAL_QUEUE_STATES as readonly QueueState[]).includes(qstate)
}

/** The rules of propolis's queue, checked top to bottom; the first match wins. */
export function decideRequest(queue: RequestQueueState, request: QueueRequest): QueueDecision {
  const { qstate } = queue
  const terminal = isTerminalQueueState(qstate) ? qstate : null
  switch (request) {
    case 'Start':
      if (terminal !== null) return deny(terminal)
      if (queue.awaitingStop) return deny('HaltPending')
      if (qstate === 'StartPending' || qstate === 'Running') return { kind: 'ignore' }
      return enqueue({ ...queue, qstate: 'StartPending' })
    case 'Stop':
      // Stop is idempotent: never refused, coalesced while one is pending.
      if (terminal !== null || queue.awaitingStop) return { kind: 'ignore' }
      return enqueue({ ...queue, awaitingStop: true })
    case 'Reboot':
      if (terminal !== null) return deny(terminal)
      if (queue.awaitingMigrationOut) return deny('InvalidForMigrationSource')
      if (queue.awaitingStop) return deny('HaltPending')
      if (qstate === 'NotStarted') return deny('InstanceNotActive')
      // A migration target still importing is StartPending too.
      if (qstate === 'StartPending') return deny('StartInProgress')
      if (queue.awaitingReboot) return { kind: 'ignore' }
      return enqueue({ ...queue, awaitingReboot: true })
    case 'MigrateOut':
      if (terminal !== null) return deny(terminal)
      if (queue.awaitingMigrationOut) return deny('AlreadyMigrationSource')
      if (queue.awaitingStop) return deny('HaltPending')
      if (qstate === 'NotStarted') return deny('InstanceNotActive')
      // As read: StartPending is accepted too (the migrate-out then waits for the start).
      return enqueue({ ...queue, awaitingMigrationOut: true })
    default:
      return assertNever(request, 'queue request')
  }
}

/** The driver's notifications to the queue when it finishes a piece of work. */
export const QUEUE_COMPLETIONS = [
  'start_succeeded',
  'start_failed',
  'reboot_done',
  'migration_out_succeeded',
  'migration_out_failed',
  'stop_done',
  'halted',
] as const
export type QueueCompletion = (typeof QUEUE_COMPLETIONS)[number]

export function queueAfter(queue: RequestQueueState, completion: QueueCompletion): RequestQueueState {
  switch (completion) {
    case 'start_succeeded':
      return { ...queue, qstate: 'Running' }
    case 'start_failed':
      return { ...queue, qstate: 'Failed' }
    case 'reboot_done':
      return { ...queue, awaitingReboot: false }
    case 'migration_out_succeeded':
      return { ...queue, awaitingMigrationOut: false, qstate: 'MigratedOut' }
    case 'migration_out_failed':
      // The source resumes; qstate stays Running.
      return { ...queue, awaitingMigrationOut: false }
    case 'stop_done':
      return { ...queue, awaitingStop: false, qstate: 'Stopped' }
    // A guest halt, or a start aborted by Stop.
    case 'halted':
      return { ...queue, qstate: 'Stopped' }
    default:
      return assertNever(completion, 'queue completion')
  }
}

function deny(reason: DenialReason): QueueDecision {
  return { kind: 'deny', reason }
}

function enqueue(next: RequestQueueState): QueueDecision {
  return { kind: 'enqueue', next }
}
