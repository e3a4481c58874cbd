import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DENIAL_REASONS,
  DENIAL_SENTENCES,
  decideRequest,
  forbiddenErrorCode,
  initialQueueState,
  QUEUE_COMPLETIONS,
  QUEUE_REQUESTS,
  QUEUE_STATES,
  queueAfter,
  type QueueDecision,
  type QueueRequest,
  type QueueState,
  type RequestQueueState,
} from '../../../sim/propolis/request-queue.ts'
import { expectKeysCover } from '../../support/covers.ts'

const TERMINAL: readonly QueueState[] = ['MigratedOut', 'Stopped', 'Failed']

/** §5 transcribed as data: per request, the rows top to bottom; the first whose condition holds decides. */
type Expected = 'enqueue' | 'ignore' | `deny ${string}`
const TABLE: Record<QueueRequest, readonly (readonly [(q: RequestQueueState) => boolean, (q: RequestQueueState) => Expected])[]> = {
  Start: [
    [(q) => TERMINAL.includes(q.qstate), (q) => `deny ${q.qstate}`],
    [(q) => q.awaitingStop, () => 'deny HaltPending'],
    [(q) => q.qstate === 'StartPending' || q.qstate === 'Running', () => 'ignore'],
    [(q) => q.qstate === 'NotStarted', () => 'enqueue'],
  ],
  Stop: [
    [(q) => TERMINAL.includes(q.qstate), () => 'ignore'],
    [(q) => q.awaitingStop, () => 'ignore'],
    [() => true, () => 'enqueue'],
  ],
  Reboot: [
    [(q) => TERMINAL.includes(q.qstate), (q) => `deny ${q.qstate}`],
    [(q) => q.awaitingMigrationOut, () => 'deny InvalidForMigrationSource'],
    [(q) => q.awaitingStop, () => 'deny HaltPending'],
    [(q) => q.qstate === 'NotStarted', () => 'deny InstanceNotActive'],
    [(q) => q.qstate === 'StartPending', () => 'deny StartInProgress'],
    [(q) => q.awaitingReboot, () => 'ignore'],
    [(q) => q.qstate === 'Running', () => 'enqueue'],
  ],
  MigrateOut: [
    [(q) => TERMINAL.includes(q.qstate), (q) => `deny ${q.qstate}`],
    [(q) => q.awaitingMigrationOut, () => 'deny AlreadyMigrationSource'],
    [(q) => q.awaitingStop, () => 'deny HaltPending'],
    [(q) => q.qstate === 'NotStarted', () => 'deny InstanceNotActive'],
    [(q) => q.qstate === 'StartPending' || q.qstate === 'Running', () => 'enqueue'],
  ],
}

const ALL_QUEUES: RequestQueueState[] = QUEUE_STATES.flatMap((qstate) =>
  [false, true].flatMap((awaitingStop) =>
    [false, true].flatMap((awaitingReboot) => [false, true].map((awaitingMigrationOut) => ({ qstate, awaitingStop, awaitingReboot, awaitingMigrationOut }))),
  ),
)

function summary(decision: QueueDecision): Expected {
  return decision.kind === 'deny' ? `deny ${decision.reason}` : decision.kind
}

const queue = (qstate: QueueState, flags: Partial<Omit<RequestQueueState, 'qstate'>> = {}): RequestQueueState => ({
  qstate,
  awaitingStop: false,
  awaitingReboot: false,
  awaitingMigrationOut: false,
  ...flags,
})

describe('decideRequest', () => {
  it('covers every request in the §5 table', () => {
    expectKeysCover(TABLE, QUEUE_REQUESTS)
  })

  it.each(QUEUE_REQUESTS.flatMap((request) => ALL_QUEUES.map((q) => [request, q] as const)))(
    'decides %s on %o as the first matching row of the §5 table',
    (request, q) => {
      const row = TABLE[request].find(([condition]) => condition(q))

      const decision = decideRequest(q, request)

      expect(summary(decision)).toBe(row?.[1](q) ?? 'no row matches')
    },
  )

  it.each([
    ['Start', queue('NotStarted'), { qstate: 'StartPending' }],
    ['Stop', queue('Running'), { awaitingStop: true }],
    ['Reboot', queue('Running'), { awaitingReboot: true }],
    ['MigrateOut', queue('StartPending'), { awaitingMigrationOut: true }],
  ] as const)('enqueues %s on %o and sets %o', (request, q, change) => {
    expect(decideRequest(q, request)).toEqual({ kind: 'enqueue', next: { ...q, ...change } })
  })

  it.each([
    ['Start', queue('MigratedOut'), 'Instance has migrated out and is being torn down'],
    ['Start', queue('Stopped'), 'Instance has already halted'],
    ['Start', queue('Failed'), 'Instance failed to start or halted due to a failure'],
    ['Start', queue('Running', { awaitingStop: true }), 'Instance is preparing to stop'],
    ['Reboot', queue('Running', { awaitingMigrationOut: true }), 'Operation cannot be performed on a migration source'],
    ['Reboot', queue('NotStarted'), 'Operation requires an active instance'],
    ['Reboot', queue('StartPending'), 'Instance is currently starting'],
    ['MigrateOut', queue('Running', { awaitingMigrationOut: true }), 'Instance is already a migration source'],
  ] as const)('denies %s on %o with the sentence "%s"', (request, q, sentence) => {
    const decision = decideRequest(q, request)

    expect(decision.kind === 'deny' ? DENIAL_SENTENCES[decision.reason] : null).toBe(sentence)
  })

  it('puts the whole reason in the 403 error code', () => {
    expect(forbiddenErrorCode('StartInProgress')).toBe('instance state change not allowed: Instance is currently starting')
    expectKeysCover(DENIAL_SENTENCES, DENIAL_REASONS)
  })

  it('starts a spec VM NotStarted and a migration target StartPending', () => {
    expect(initialQueueState('spec').qstate).toBe('NotStarted')
    expect(initialQueueState('migration').qstate).toBe('StartPending')
  })
})

describe('queueAfter', () => {
  const EXPECTED = {
    start_succeeded: { qstate: 'Running' },
    start_failed: { qstate: 'Failed' },
    reboot_done: { awaitingReboot: false },
    migration_out_succeeded: { awaitingMigrationOut: false, qstate: 'MigratedOut' },
    migration_out_failed: { awaitingMigrationOut: false },
    stop_done: { awaitingStop: false, qstate: 'Stopped' },
    halted: { qstate: 'Stopped' },
  } as const

  it('covers every completion', () => {
    expectKeysCover(EXPECTED, QUEUE_COMPLETIONS)
  })

  it.each(QUEUE_COMPLETIONS)('applies %s as §5 says', (completion) => {
    const before = queue('StartPending', { awaitingStop: true, awaitingReboot: true, awaitingMigrationOut: true })

    expect(queueAfter(before, completion)).toEqual({ ...before, ...EXPECTED[completion] })
  })
})

describe('the request queue under any sequence of requests and completions', () => {
  const step = fc.oneof(
    fc.constantFrom(...QUEUE_REQUESTS).map((request) => ({ kind: 'request' as const, request })),
    fc.constantFrom(...QUEUE_COMPLETIONS).map((completion) => ({ kind: 'completion' as const, completion })),
  )

  it('never refuses a Stop, refuses Run once a Stop is pending, and never leaves a terminal state on a request', () => {
    fc.assert(
      fc.property(fc.constantFrom('spec' as const, 'migration' as const), fc.array(step, { maxLength: 30 }), (initKind, steps) => {
        let q = initialQueueState(initKind)
        for (const s of steps) {
          if (s.kind === 'completion') {
            q = queueAfter(q, s.completion)
            continue
          }
          const decision = decideRequest(q, s.request)
          if (s.request === 'Stop') expect(decision.kind).not.toBe('deny')
          if (s.request === 'Start' && q.awaitingStop) expect(decision.kind).toBe('deny')
          if (TERMINAL.includes(q.qstate)) expect(decision.kind).not.toBe('enqueue')
          if (decision.kind === 'enqueue') q = decision.next
        }
      }),
      { seed: 4242 },
    )
  })
})
