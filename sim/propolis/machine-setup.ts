// The propolis-server machine's vocabulary: its types, named delays (read from `context.timing`),
// guards and actions. The graph that uses them is in machine.ts.
// Mirrors: propolis bin/propolis-server/src/lib/vm/{state_driver,request_queue,state_publisher}.rs@372a574.
import { assign, emit, enqueueActions, setup } from 'xstate'
import {
  currentMigration,
  freshVm,
  nextResponse,
  phaseChange,
  withGuestEvent,
  type PropolisContext,
  type PropolisInput,
  type PublishChange,
  type QueuedRequest,
} from './context.ts'
import type { GuestEvent, PropolisEmitted, PropolisEvent } from './events.ts'
import { faultStep, phasesOf } from './migration-phases.ts'
import { decideRequest, queueAfter, type QueueCompletion, type QueueDecision, type QueueRequest } from './request-queue.ts'
import type { PropolisInstanceState, PropolisMigrationPhase, PropolisOperation } from './types.ts'

/** The queue's answer to the request `event` carries (null for any other event). */
function decisionFor(context: PropolisContext, event: PropolisEvent): QueueDecision | null {
  const request = queueRequestOf(event)
  return request === null ? null : decideRequest(context.queue, request)
}

function queueRequestOf(event: PropolisEvent): QueueRequest | null {
  if (event.type === 'MIGRATE_OUT') return 'MigrateOut'
  if (event.type !== 'PUT_STATE') return null
  // The wire says Run; the queue calls it Start.
  return event.request === 'Run' ? 'Start' : event.request
}

/** Why this side's migration failed, for the emitted event and the ensure's 500. */
function migrationFailureReason(context: PropolisContext, event: PropolisEvent): string {
  switch (event.type) {
    case 'PEER_FAILED':
      return event.reason
    case 'HANDSHAKE_FAIL':
      return 'handshake failed: the target is unreachable'
    default:
      return `injected fault at ${context.migration?.faultPhase ?? 'an unknown phase'}`
  }
}

export const propolisSetup = setup({
  types: {
    context: {} as PropolisContext,
    events: {} as PropolisEvent,
    input: {} as PropolisInput,
    emitted: {} as PropolisEmitted,
  },
  delays: {
    initDelay: ({ context }) => context.timing.initMs,
    bootDelay: ({ context }) => context.timing.bootMs,
    stopDelay: ({ context }) => context.timing.stopMs,
    rebootDelay: ({ context }) => context.timing.rebootMs,
    rundownDelay: ({ context }) => context.timing.rundownMs,
    migrationPhaseDelay: ({ context }) => context.timing.migrationPhaseMs,
    // With no restart the timer still fires, but `restartsAfterCrash` keeps the server down.
    restartDelay: ({ context }) => context.timing.restartAfterCrashMs ?? 0,
  },
  guards: {
    isSpecEnsure: ({ event }) => event.type === 'ENSURE' && event.init.kind === 'spec',
    /** The current operation's timer has fired and the operation is not hung. */
    due: ({ context }, params: { operation: PropolisOperation }) => context.timerDue && !context.hung.includes(params.operation),
    notHung: ({ context }, params: { operation: PropolisOperation }) => !context.hung.includes(params.operation),
    initFaultArmed: ({ context }) => context.initFaultArmed,
    startFaultArmed: ({ context }) => context.startFaultArmed,
    requestDenied: ({ context, event }) => decisionFor(context, event)?.kind === 'deny',
    requestIgnored: ({ context, event }) => decisionFor(context, event)?.kind === 'ignore',
    requestAtHead: ({ context }, params: { kind: QueuedRequest['kind'] }) => context.requests[0]?.kind === params.kind,
    guestEventAtHead: ({ context }, params: { events: readonly GuestEvent[] }) => {
      const head = context.guestEvents[0]
      return head !== undefined && params.events.includes(head)
    },
    faultAtSync: ({ context }) => {
      const migration = currentMigration(context)
      return migration.faultPhase !== null && faultStep(migration.side, migration.faultPhase) === 'sync'
    },
    faultAtNextPhase: ({ context }) => {
      const migration = currentMigration(context)
      return migration.faultPhase !== null && faultStep(migration.side, migration.faultPhase) === migration.step
    },
    phasesDone: ({ context }) => {
      const migration = currentMigration(context)
      return migration.step >= phasesOf(migration.side).length
    },
    peerSignalled: ({ context }) => currentMigration(context).peerSignalled,
    restartsAfterCrash: ({ context }) => context.timing.restartAfterCrashMs !== null,
  },
  actions: {
    /** Every publish bumps gen by exactly 1 and merges into the published state. */
    publish: enqueueActions(({ context, enqueue }, params: PublishChange) => {
      const response = nextResponse(context.response, params)
      enqueue.assign({ response })
      enqueue.emit({ type: 'published', response })
    }),
    /** Publishes a phase of this side's migration, optionally with a new instance state. */
    publishPhase: enqueueActions(
      ({ context, enqueue }, params: { phase: PropolisMigrationPhase; state?: PropolisInstanceState }) => {
        const change = phaseChange(currentMigration(context), params.phase)
        const response = nextResponse(context.response, params.state === undefined ? change : { ...change, state: params.state })
        enqueue.assign({ response })
        enqueue.emit({ type: 'published', response })
      },
    ),
    publishNextPhase: enqueueActions(({ context, enqueue }) => {
      const migration = currentMigration(context)
      const phase = phasesOf(migration.side)[migration.step]
      if (phase === undefined) throw new Error('propolis machine failed: no migration phase left to publish')
      const response = nextResponse(context.response, phaseChange(migration, phase))
      enqueue.assign({ response, migration: { ...migration, step: migration.step + 1 } })
      enqueue.emit({ type: 'published', response })
    }),
    publishFinalState: enqueueActions(({ context, enqueue }) => {
      const response = nextResponse(context.response, { state: context.finalState })
      enqueue.assign({ response })
      enqueue.emit({ type: 'published', response })
    }),
    startVm: assign(({ context, event }) => freshVm(context, event.type === 'ENSURE' ? event.init : null)),
    resetProcess: assign(({ context }) => ({ ...freshVm(context, null), response: null })),
    acceptEnsure: emit({ type: 'ensure_accepted' }),
    rejectEnsure: emit({ type: 'ensure_rejected' }),
    succeedInit: emit({ type: 'init_succeeded' }),
    failInit: emit(({ context, event }, params: { cause: 'objects' | 'migration' }) => ({
      type: 'init_failed' as const,
      message:
        params.cause === 'objects'
          ? 'VM initialization failed: failed to create VM objects (injected fault)'
          : `VM initialization failed: migration failed: ${migrationFailureReason(context, event)}`,
    })),
    answerNoInstance: emit(({ event }) => ({
      type: 'answered' as const,
      request: event.type === 'PUT_STATE' ? event.request : ('MigrateOut' as const),
      outcome: { kind: 'no_instance' as const },
    })),
    /** Runs the queue's decision (the guards already chose the branch) and answers. */
    admitRequest: enqueueActions(({ context, event, enqueue }) => {
      const decision = decisionFor(context, event)
      if (decision === null) return
      const request = event.type === 'PUT_STATE' ? event.request : ('MigrateOut' as const)
      if (decision.kind === 'enqueue') {
        const queued: QueuedRequest =
          event.type === 'MIGRATE_OUT'
            ? { kind: 'MigrateOut', migrationId: event.migrationId, faultPhase: event.faultPhase }
            : { kind: request === 'Run' ? 'Start' : request === 'Stop' ? 'Stop' : 'Reboot' }
        enqueue.assign({ queue: decision.next, requests: [...context.requests, queued] })
        enqueue.emit({ type: 'answered', request, outcome: { kind: 'queued' } })
      } else if (decision.kind === 'ignore') {
        enqueue.emit({ type: 'answered', request, outcome: { kind: 'ignored' } })
      } else {
        enqueue.emit({ type: 'answered', request, outcome: { kind: 'denied', reason: decision.reason } })
      }
    }),
    dequeueRequest: assign({ requests: ({ context }) => context.requests.slice(1) }),
    enqueueGuestEvent: assign({
      guestEvents: ({ context }, params: { event: GuestEvent }) => withGuestEvent(context.guestEvents, params.event),
    }),
    dequeueGuestEvent: assign({ guestEvents: ({ context }) => context.guestEvents.slice(1) }),
    notifyQueue: assign({ queue: ({ context }, params: { completion: QueueCompletion }) => queueAfter(context.queue, params.completion) }),
    setFinalState: assign({ finalState: (_, params: { state: 'Destroyed' | 'Failed' }) => params.state }),
    armInitFault: assign({ initFaultArmed: true }),
    disarmInitFault: assign({ initFaultArmed: false }),
    armStartFault: assign({ startFaultArmed: true }),
    disarmStartFault: assign({ startFaultArmed: false }),
    markDue: assign({ timerDue: true }),
    clearDue: assign({ timerDue: false }),
    hang: assign({
      hung: ({ context, event }) =>
        event.type === 'HANG' ? [...new Set([...context.hung, ...event.operations])] : context.hung,
    }),
    unhang: assign({ hung: [] }),
    setRebootRequested: assign({ rebootRequested: (_, params: { requested: boolean }) => params.requested }),
    finishReboot: assign({
      queue: ({ context }) => (context.rebootRequested ? queueAfter(context.queue, 'reboot_done') : context.queue),
      rebootRequested: false,
    }),
    armMigrationFault: assign({
      migration: ({ context, event }) =>
        event.type === 'ARM_MIGRATION_FAULT' ? { ...currentMigration(context), faultPhase: event.phase } : context.migration,
    }),
    /** Dequeues a MigrateOut and becomes the source of that migration. */
    beginMigrationOut: assign(({ context }) => {
      const head = context.requests[0]
      if (head?.kind !== 'MigrateOut') throw new Error('propolis machine failed: no MigrateOut at the head of the queue')
      return {
        requests: context.requests.slice(1),
        migration: { side: 'source', id: head.migrationId, step: 0, faultPhase: head.faultPhase, peerSignalled: false } as const,
      }
    }),
    notePeerSignal: assign({ migration: ({ context }) => ({ ...currentMigration(context), peerSignalled: true }) }),
    endMigration: assign({ migration: null }),
    requestHandshake: emit({ type: 'handshake_requested' }),
    announceMigrationStarted: emit({ type: 'migration_started' }),
    announceReady: emit({ type: 'migration_ready' }),
    announceFinished: emit({ type: 'migration_finished' }),
    announceMigrationFailed: emit(({ context, event }) => ({
      type: 'migration_failed' as const,
      reason: migrationFailureReason(context, event),
    })),
    announceRestart: emit({ type: 'restarted' }),
  },
})
