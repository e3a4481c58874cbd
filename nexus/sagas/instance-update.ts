// The instance-update saga proper: with the lock inherited from start-instance-update, it releases
// the instance's virtual provisioning if it no longer has a VMM, commits the new runtime and
// releases the lock in one step, swaps the sled reservations after a completed migration, destroys
// the VMMs it unlinked (reservation first, then the soft delete), and chains a successor if the
// records moved on meanwhile. Partial progress is kept on unwind: it only brings Nexus's records
// closer to what already happened on the sleds; only the lock is given back.
// Mirrors: omicron nexus/src/app/sagas/instance_update/mod.rs and destroyed.rs@b848b6d.
// Simplification: omicron builds the DAG from the update (absent nodes for work not needed) with a
// destroy-VMM subsaga per VMM; here the chain is fixed and a node with nothing to do returns false.
// Simplification: no UPDATE_NETWORK_CONFIG or UNASSIGN_OXIMETER_PRODUCER (no networking, no Oximeter).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { InstanceUuid, PropolisUuid, UpdaterUuid } from '../../sim/kernel/ids.ts'
import { conflict, internalError, objectNotFound } from '../app/errors.ts'
import type { UpdaterLock } from '../db/updater-lock.ts'
import { startInstanceUpdateSaga } from './instance-update-start.ts'
import { NexusCrashedError } from './saga-errors.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaDef } from './saga-types.ts'
import { requestActivation, unlockOnUnwind } from './update-lock.ts'
import { shouldReincarnate, updatesRequiredFor, type UpdatesRequired } from './update-required.ts'

export interface InstanceUpdateParams {
  /** The instance to update (its start-instance-update saga's). */
  readonly instanceId: InstanceUuid
  /** The lock start-instance-update holds; this saga takes it over by compare-and-swap. */
  readonly parentLock: UpdaterLock
  /** What to do, decided from the records read under that lock. */
  readonly update: UpdatesRequired
}

/** What the last node did once the update was committed. */
export type ChainResult =
  | { readonly kind: 'successor_started'; readonly saga: string }
  | { readonly kind: 'reincarnation_requested' }
  | { readonly kind: 'nothing_more' }
  /** The re-read or the spawn failed; the instance updater is asked instead. */
  | { readonly kind: 'failed'; readonly error: string }

interface InstanceUpdateOutputs {
  readonly 'generate-lock-id': UpdaterUuid
  readonly 'become-updater': UpdaterLock
  readonly 'release-virtual-provisioning': boolean
  readonly 'commit-instance-updates': 'committed' | 'already_committed'
  readonly 'update-sled-reservations-for-migration': boolean
  readonly 'release-active-vmm-reservation': boolean
  readonly 'mark-active-vmm-deleted': boolean
  readonly 'release-target-vmm-reservation': boolean
  readonly 'mark-target-vmm-deleted': boolean
  readonly 'chain-successor-saga': ChainResult
}

type Ctx = SagaContext<InstanceUpdateParams, InstanceUpdateOutputs, NexusSagaServices>

export const INSTANCE_UPDATE_SAGA_NAME = 'instance-update'

export const instanceUpdateSaga: SagaDef<InstanceUpdateParams, InstanceUpdateOutputs, NexusSagaServices> = {
  name: INSTANCE_UPDATE_SAGA_NAME,
  instanceOf: (params) => params.instanceId,
  nodes: [
    // An id only; logged so that a re-run inheritance uses the same one.
    { name: 'generate-lock-id', action: generateLockId, undo: null },
    { name: 'become-updater', action: becomeUpdater, undo: becomeUpdaterUndo },
    // No undo: the instance holds no VMM any more either way; a later saga would release it again.
    { name: 'release-virtual-provisioning', action: releaseVirtualProvisioning, undo: null },
    // No undo: committed is committed (and the lock is released with it).
    { name: 'commit-instance-updates', action: commitInstanceUpdates, undo: null },
    // Ordered after the commit, as in omicron. No undo: the migration is over either way.
    { name: 'update-sled-reservations-for-migration', action: updateSledReservationsForMigration, undo: null },
    // The destroys come after the commit so the instance never points at a deleted VMM. No undos:
    // the VMM is gone on its sled; anything left over is the abandoned-VMM reaper's.
    { name: 'release-active-vmm-reservation', action: releaseActiveVmmReservation, undo: null },
    { name: 'mark-active-vmm-deleted', action: markActiveVmmDeleted, undo: null },
    { name: 'release-target-vmm-reservation', action: releaseTargetVmmReservation, undo: null },
    { name: 'mark-target-vmm-deleted', action: markTargetVmmDeleted, undo: null },
    // No undo, and it never fails the saga: a successor is only an optimisation.
    { name: 'chain-successor-saga', action: chainSuccessorSaga, undo: null },
  ],
}

async function generateLockId(ctx: Ctx): Promise<UpdaterUuid> {
  return ctx.services.ids.uuid('updater')
}

async function becomeUpdater(ctx: Ctx): Promise<UpdaterLock> {
  const { instanceId, parentLock } = ctx.params
  const outcome = ctx.services.db.instanceInheritLock(instanceId, parentLock.updaterId, parentLock.updaterGen, ctx.output('generate-lock-id'))
  switch (outcome.kind) {
    case 'inherited':
      return outcome.lock
    case 'already_locked_by_other':
      // Typically a re-run start saga whose first real saga already took (or released) the lock.
      throw conflict(`cannot inherit the instance-updater lock: held by ${outcome.holder ?? 'nobody'}, not by ${parentLock.updaterId}`)
    case 'not_found':
      throw objectNotFound('instance', { id: instanceId })
    default:
      return assertNever(outcome, 'inherit lock outcome')
  }
}

/** Gives the lock back, and asks the instance updater to do what this saga did not. */
async function becomeUpdaterUndo(ctx: Ctx): Promise<void> {
  const { instanceId } = ctx.params
  unlockOnUnwind(ctx.services.db, instanceId, ctx.output('become-updater'))
  requestActivation(ctx.trace, instanceId, 'instance_updater', `instance-update saga ${ctx.sagaId} unwound`)
}

/** True if this run released the provisioning; false if there was none to release (omicron#5042). */
async function releaseVirtualProvisioning(ctx: Ctx): Promise<boolean> {
  if (!ctx.params.update.deprovision) return false
  return ctx.services.db.provisioningReleaseInstance(ctx.params.instanceId).kind === 'released'
}

async function commitInstanceUpdates(ctx: Ctx): Promise<'committed' | 'already_committed'> {
  const { instanceId, update } = ctx.params
  const lock = ctx.output('become-updater')
  const outcome = ctx.services.db.instanceCommitUpdateAndUnlock(instanceId, lock.updaterId, lock.updaterGen, update.newRuntime, update.newIntent ?? undefined)
  switch (outcome.kind) {
    case 'committed':
    case 'already_committed':
      return outcome.kind
    // The generation moved under the lock (a migrate saga, say): the decision is void. Unwinding
    // releases the lock and asks the instance updater to decide again.
    case 'stale':
      throw conflict(outcome.message)
    case 'lock_lost':
      throw internalError(outcome.message)
    case 'not_found':
      throw objectNotFound('instance', { id: instanceId })
    default:
      return assertNever(outcome, 'commit outcome')
  }
}

async function updateSledReservationsForMigration(ctx: Ctx): Promise<boolean> {
  const swap = ctx.params.update.migrationReservationSwap
  if (swap === null) return false
  ctx.services.db.sledReservationSwapForMigration(swap.sourcePropolisId, swap.targetPropolisId)
  return true
}

async function releaseActiveVmmReservation(ctx: Ctx): Promise<boolean> {
  return releaseReservation(ctx, ctx.params.update.destroyActiveVmm)
}

async function markActiveVmmDeleted(ctx: Ctx): Promise<boolean> {
  return markVmmDeleted(ctx, ctx.params.update.destroyActiveVmm)
}

async function releaseTargetVmmReservation(ctx: Ctx): Promise<boolean> {
  return releaseReservation(ctx, ctx.params.update.destroyTargetVmm)
}

async function markTargetVmmDeleted(ctx: Ctx): Promise<boolean> {
  return markVmmDeleted(ctx, ctx.params.update.destroyTargetVmm)
}

/** Frees the VMM's sled resources; already freed (a re-run, the reaper) is fine. */
function releaseReservation(ctx: Ctx, propolisId: PropolisUuid | null): boolean {
  if (propolisId === null) return false
  return ctx.services.db.sledReservationDelete(propolisId).kind === 'deleted'
}

/** Soft-deletes the VMM row; already deleted is fine, a VMM that is not destroyable is a bug. */
function markVmmDeleted(ctx: Ctx, propolisId: PropolisUuid | null): boolean {
  if (propolisId === null) return false
  const outcome = ctx.services.db.vmmMarkDeleted(propolisId)
  switch (outcome.kind) {
    case 'deleted':
      return true
    case 'already_deleted':
    case 'not_found':
      return false
    // Terminal states never change back, so the snapshot's destroyable VMM is still destroyable.
    case 'not_destroyable':
      throw internalError(`cannot delete VMM ${propolisId}: it is ${outcome.state}`)
    default:
      return assertNever(outcome, 'mark deleted outcome')
  }
}

/**
 * Re-reads the records: if another update is due (a report arrived while this saga held the lock),
 * spawns a new start-instance-update saga without waiting for it; otherwise hands a failed instance
 * to reincarnation. Errors only ask the instance updater to step in.
 */
async function chainSuccessorSaga(ctx: Ctx): Promise<ChainResult> {
  const { db } = ctx.services
  const { instanceId } = ctx.params
  try {
    const snapshot = db.instanceFetchAll(instanceId)
    if (snapshot === null) throw new Error(`instance ${instanceId} is gone`)
    if (updatesRequiredFor(snapshot, ctx.clock.now()) !== null) {
      const successor = ctx.sagas.spawn(startInstanceUpdateSaga, { instanceId })
      return { kind: 'successor_started', saga: successor.sagaId }
    }
    if (!shouldReincarnate(snapshot, ctx.clock.now())) return { kind: 'nothing_more' }
    requestActivation(ctx.trace, instanceId, 'instance_reincarnation', 'instance update left it to reincarnate')
    return { kind: 'reincarnation_requested' }
  } catch (error) {
    if (error instanceof NexusCrashedError) throw error
    const message = error instanceof Error ? error.message : String(error)
    requestActivation(ctx.trace, instanceId, 'instance_updater', `could not start a successor update saga: ${message}`)
    return { kind: 'failed', error: message }
  }
}
