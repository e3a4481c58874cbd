// The events the propolis-server machine takes (HTTP calls, guest actions, faults, and the migration
// peer's messages relayed by the server) and the events it emits for the server to turn into replies.
// Mirrors: propolis bin/propolis-server/src/lib/vm/{mod,guest_event,request_queue}.rs@372a574.
import type { MigrationUuid } from '../kernel/ids.ts'
import type { FaultablePhase } from './migration-phases.ts'
import type { DenialReason } from './request-queue.ts'
import type { PropolisMonitorResponse, PropolisOperation, PropolisStateRequest } from './types.ts'

/** What the guest did; queued ahead of external requests, de-duplicated. */
export type GuestEvent = 'halt' | 'reset' | 'triple_fault'

/** How a VM is created (`init` of `PUT /instance`, minus the source address the server dials). */
export type EnsureKind = { readonly kind: 'spec' } | { readonly kind: 'migration_target'; readonly migrationId: MigrationUuid }

export type PropolisEvent =
  // HTTP calls, as propolis-server's endpoints receive them.
  | { readonly type: 'ENSURE'; readonly init: EnsureKind }
  | { readonly type: 'PUT_STATE'; readonly request: PropolisStateRequest }
  /** The target's websocket to `/instance/migrate/{id}/start` asks this server to migrate out. */
  | { readonly type: 'MIGRATE_OUT'; readonly migrationId: MigrationUuid; readonly faultPhase: FaultablePhase | null }
  // The guest.
  | { readonly type: 'GUEST_HALT' }
  | { readonly type: 'GUEST_RESET' }
  | { readonly type: 'TRIPLE_FAULT' }
  // The process and its zone.
  | { readonly type: 'CRASH' }
  | { readonly type: 'DESTROY' }
  // Injected faults.
  | { readonly type: 'FAIL_NEXT_INIT' }
  | { readonly type: 'FAIL_NEXT_START' }
  /** A `failNextMigration` fault for this side of the migration being set up (the target's side). */
  | { readonly type: 'ARM_MIGRATION_FAULT'; readonly phase: FaultablePhase }
  | { readonly type: 'HANG'; readonly operations: readonly PropolisOperation[] }
  | { readonly type: 'UNHANG' }
  // The migration peer, relayed by the server over the (simulated) websocket.
  /** To the target: the source accepted the handshake and published Migrating + Sync. */
  | { readonly type: 'PEER_STARTED' }
  /** To the source: the target has imported everything and is ready to finish. */
  | { readonly type: 'PEER_READY' }
  /** To the target: the source has published Finish and will never resume the guest. */
  | { readonly type: 'PEER_OK' }
  /** To either side: the other side failed, died, or the connection dropped. */
  | { readonly type: 'PEER_FAILED'; readonly reason: string }
  /** To the source, after it dequeued MigrateOut: whether the target is still there to talk to. */
  | { readonly type: 'HANDSHAKE_OK' }
  | { readonly type: 'HANDSHAKE_FAIL' }

export type PropolisEventType = PropolisEvent['type']

/** How the queue (or the wrapper, before the queue exists) answered a request. */
export type RequestOutcome =
  | { readonly kind: 'queued' }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'denied'; readonly reason: DenialReason }
  /** No active VM: 424 NoInstance for a state PUT; a dropped websocket for MigrateOut. */
  | { readonly kind: 'no_instance' }

export type PropolisEmitted =
  | { readonly type: 'published'; readonly response: PropolisMonitorResponse }
  | { readonly type: 'answered'; readonly request: PropolisStateRequest | 'MigrateOut'; readonly outcome: RequestOutcome }
  /** The ensure creates a VM; its reply comes with `init_succeeded` or `init_failed`. */
  | { readonly type: 'ensure_accepted' }
  /** An ensure arrived while a VM exists or is being created or run down: 409. */
  | { readonly type: 'ensure_rejected' }
  /** The VM is Active: the ensure's 201. */
  | { readonly type: 'init_succeeded' }
  /** The VM failed before it became Active: the ensure's 500. */
  | { readonly type: 'init_failed'; readonly message: string }
  /** The source dequeued MigrateOut and asks whether the target is still there. */
  | { readonly type: 'handshake_requested' }
  | { readonly type: 'migration_started' }
  | { readonly type: 'migration_ready' }
  | { readonly type: 'migration_finished' }
  | { readonly type: 'migration_failed'; readonly reason: string }
  | { readonly type: 'restarted' }
