// What the two instance-update sagas share: releasing the updater lock while unwinding, and asking
// for a background task where omicron calls `activate()` on one (the sagas hold no handle to the
// tasks; `InstanceUpdateRunner` forwards these requests from the trace).
// Mirrors: omicron nexus/src/app/sagas/instance_update/mod.rs@b848b6d (`unwind_instance_lock`).
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { Datastore } from '../db/datastore.ts'
import type { UpdaterLock } from '../db/updater-lock.ts'

/** The background tasks an update saga may activate. */
export type UpdateSagaTask = 'instance_updater' | 'instance_reincarnation'

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** Omicron activates `task` here; whoever drives the background tasks acts on it. */
    'instance_update.activation_requested': { readonly instance: string; readonly task: UpdateSagaTask; readonly reason: string }
    /** What start-instance-update found once it held (or failed to take) the lock. */
    'instance_update.decided': { readonly instance: string; readonly saga: string; readonly decision: string }
  }
}

/** Records that `task` should be activated for `instanceId`. */
// Simplification: omicron's sagas call `task.activate()` on Nexus's background tasks directly; the
// testbed's saga services have no such handle, so the request is a trace event that the runner forwards.
export function requestActivation(trace: Trace, instanceId: InstanceUuid, task: UpdateSagaTask, reason: string): void {
  trace.record('instance_update.activation_requested', { instance: instanceId, task, reason })
}

/**
 * Releases `lock` while unwinding. Unlocking must never leave the instance locked for good, and it
 * cannot fail here: a lock no longer held (released by a commit, say) and a deleted instance are
 * both fine. Returns true if this call released it.
 */
// Simplification: omicron retries the unlock forever on transient database errors; the in-memory
// datastore has none.
export function unlockOnUnwind(db: Datastore, instanceId: InstanceUuid, lock: UpdaterLock): boolean {
  return db.instanceUnlock(instanceId, lock.updaterId, lock.updaterGen).kind === 'unlocked'
}
