// The start-instance-update saga: the public face of an instance update. It try-locks the instance
// (another holder: end at once, successfully, having done nothing), reads the instance, its VMMs
// and its migration under the lock, decides what to do, and runs the real `instance-update` saga,
// which inherits the lock; with nothing to do it unlocks and checks for a reincarnation hand-off.
// Mirrors: omicron nexus/src/app/sagas/instance_update/start.rs@b848b6d.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InstanceUuid, UpdaterUuid } from '../../sim/kernel/ids.ts'
import { objectNotFound } from '../app/errors.ts'
import type { UpdaterLock } from '../db/updater-lock.ts'
import { instanceUpdateSaga } from './instance-update.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaDef } from './saga-types.ts'
import { requestActivation, unlockOnUnwind } from './update-lock.ts'
import { describeUpdate, shouldReincarnate, updatesRequiredFor } from './update-required.ts'

export interface StartInstanceUpdateParams {
  /** The instance whose VMM or migration records may call for an update. */
  readonly instanceId: InstanceUuid
}

/** How the start saga ended (its last node's output). */
export type StartInstanceUpdateResult =
  /** Another updater holds the lock; it (or its successor) will see the new state. */
  | { readonly kind: 'already_locked' }
  /** Nothing to do; the lock was released. */
  | { readonly kind: 'no_update'; readonly reincarnate: boolean }
  /** The real saga ran to its end. */
  | { readonly kind: 'updated'; readonly saga: string }
  /** The real saga unwound or got stuck; the instance updater is asked to try again. */
  | { readonly kind: 'real_saga_failed'; readonly saga: string; readonly outcome: string }

interface StartInstanceUpdateOutputs {
  readonly 'generate-lock-id': UpdaterUuid
  readonly 'lock-instance': UpdaterLock | null
  readonly 'fetch-state-and-start-real-saga': StartInstanceUpdateResult
}

type Ctx = SagaContext<StartInstanceUpdateParams, StartInstanceUpdateOutputs, NexusSagaServices>

export const START_INSTANCE_UPDATE_SAGA_NAME = 'start-instance-update'

export const startInstanceUpdateSaga: SagaDef<StartInstanceUpdateParams, StartInstanceUpdateOutputs, NexusSagaServices> = {
  name: START_INSTANCE_UPDATE_SAGA_NAME,
  instanceOf: (params) => params.instanceId,
  nodes: [
    // Its own node so the id is logged: a re-run lock action then retries with the same id.
    { name: 'generate-lock-id', action: generateLockId, undo: null },
    { name: 'lock-instance', action: lockInstance, undo: lockInstanceUndo },
    // No undo: the real saga's own undo releases a lock it inherited, and lock-instance's undo
    // releases one it never did. A separate node from the lock, so a failed read still unlocks.
    { name: 'fetch-state-and-start-real-saga', action: fetchStateAndStartRealSaga, undo: null },
  ],
}

async function generateLockId(ctx: Ctx): Promise<UpdaterUuid> {
  return ctx.services.ids.uuid('updater')
}

/** The lock, or null if another updater holds it (a try-lock: this saga then does nothing). */
async function lockInstance(ctx: Ctx): Promise<UpdaterLock | null> {
  const { instanceId } = ctx.params
  const outcome = ctx.services.db.instanceTryLock(instanceId, ctx.output('generate-lock-id'))
  switch (outcome.kind) {
    case 'locked':
      return outcome.lock
    case 'already_locked_by_other':
      return null
    // A deleted instance fails the saga rather than being retried for ever (omicron#10784).
    case 'not_found':
      throw objectNotFound('instance', { id: instanceId })
    default:
      return assertNever(outcome, 'try-lock outcome')
  }
}

async function lockInstanceUndo(ctx: Ctx): Promise<void> {
  const lock = ctx.output('lock-instance')
  if (lock !== null) unlockOnUnwind(ctx.services.db, ctx.params.instanceId, lock)
}

async function fetchStateAndStartRealSaga(ctx: Ctx): Promise<StartInstanceUpdateResult> {
  const { db } = ctx.services
  const { instanceId } = ctx.params
  const lock = ctx.output('lock-instance')
  if (lock === null) return decided(ctx, { kind: 'already_locked' }, 'already locked by another updater')

  const snapshot = db.instanceFetchAll(instanceId)
  if (snapshot === null) throw objectNotFound('instance', { id: instanceId })
  const update = updatesRequiredFor(snapshot, ctx.clock.now())
  if (update === null) {
    // Not held any more is fine: a re-run of this node after its real saga already committed.
    db.instanceUnlock(instanceId, lock.updaterId, lock.updaterGen)
    const after = db.instanceFetchAll(instanceId)
    const reincarnate = after !== null && shouldReincarnate(after, ctx.clock.now())
    if (reincarnate) requestActivation(ctx.trace, instanceId, 'instance_reincarnation', 'no update needed; instance should reincarnate')
    return decided(ctx, { kind: 'no_update', reincarnate }, 'no update needed')
  }

  ctx.trace.record('instance_update.decided', { instance: instanceId, saga: ctx.sagaId, decision: describeUpdate(update) })
  const outcome = await ctx.sagas.run(instanceUpdateSaga, { instanceId, parentLock: lock, update })
  if (outcome.kind === 'succeeded') return { kind: 'updated', saga: outcome.sagaId }
  // Simplification: omicron only activates the updater here, so a real saga failing before it
  // inherits the lock (only an injected fault can) would leave the lock held by this saga; here
  // it is released too (a no-op once the child inherited it).
  unlockOnUnwind(db, instanceId, lock)
  requestActivation(ctx.trace, instanceId, 'instance_updater', `real instance-update saga ${outcome.sagaId} ${outcome.kind}`)
  return { kind: 'real_saga_failed', saga: outcome.sagaId, outcome: outcome.kind }
}

function decided(ctx: Ctx, result: StartInstanceUpdateResult, decision: string): StartInstanceUpdateResult {
  ctx.trace.record('instance_update.decided', { instance: ctx.params.instanceId, saga: ctx.sagaId, decision })
  return result
}
