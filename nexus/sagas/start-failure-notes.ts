// How the instance-start saga records why it failed when `recordStartFailures` is on: each action
// notes its own failure (with the error its caller sees), and the first node's undo, which runs last
// in every unwind, notes from the saga log a failure no action saw (an injected saga fault).
import type { Datastore } from '../db/datastore.ts'
import type { InstanceRecord, StartReason } from '../db/records.ts'
import { recordStartFailure, startFailureFromError, startFailureFromLog } from '../app/start-failure.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaOutputs } from './saga-types.ts'

/** What the notes need of a start saga's params. */
export interface StartFailureParams {
  readonly instance: InstanceRecord
  readonly reason: StartReason
}

type StartCtx<P extends StartFailureParams, O extends SagaOutputs> = SagaContext<P, O, NexusSagaServices>

/** `action`, noting its failure on the instance before the saga unwinds. */
export function notingFailure<P extends StartFailureParams, O extends SagaOutputs, T>(
  node: string,
  action: (ctx: StartCtx<P, O>) => Promise<T>,
): (ctx: StartCtx<P, O>) => Promise<T> {
  return async (ctx) => {
    try {
      return await action(ctx)
    } catch (error) {
      if (ctx.services.flags.recordStartFailures) {
        const site = { sagaId: ctx.sagaId, reason: ctx.params.reason, failedNode: node, time: ctx.clock.now() }
        recordStartFailure(ctx.services.db, ctx.trace, ctx.params.instance.id, startFailureFromError(site, error))
      }
      throw error
    }
  }
}

/** Notes this saga's failure from its log unless an action already noted it. Idempotent. */
export async function noteUnseenFailure<P extends StartFailureParams, O extends SagaOutputs>(ctx: StartCtx<P, O>): Promise<void> {
  await Promise.resolve()
  const { db, flags } = ctx.services
  if (!flags.recordStartFailures) return
  const instanceId = ctx.params.instance.id
  if (db.instanceGet(instanceId)?.startFailure?.sagaId === ctx.sagaId) return
  const failed = failedEvent(db, ctx.sagaId)
  if (failed === null) return
  const site = { sagaId: ctx.sagaId, reason: ctx.params.reason, failedNode: failed.node, time: ctx.clock.now() }
  recordStartFailure(db, ctx.trace, instanceId, startFailureFromLog(site, failed.error))
}

function failedEvent(db: Datastore, sagaId: StartCtx<StartFailureParams, SagaOutputs>['sagaId']): { node: string; error: string } | null {
  const events = db.sagaGet(sagaId)?.events ?? []
  for (const event of [...events].reverse()) {
    if (event.kind === 'failed') return { node: event.node, error: event.error }
  }
  return null
}
