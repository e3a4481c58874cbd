// The instance-reincarnation task (auto-restart): finds instances that want to run but are failed,
// or whose active VMM is the saga_unwound leftover of a failed start, whose policy allows a restart
// and whose cooldown is over, and starts each with reason AutoRestart. A start that lost a race
// (409) is "changed state", not an error. Instances are taken in pages of 16 by id, each page's
// sagas run together, and the next page is read once they have all ended. Mirrors: omicron
// nexus/src/app/background/tasks/instance_reincarnation.rs@b848b6d.
import type { Datastore } from '../db/datastore.ts'
import type { ReincarnationReason } from '../db/background-queries.ts'
import type { InstanceRecord } from '../db/records.ts'
import { displayNexusError } from '../app/error-display.ts'
import type { NexusApiError } from '../app/errors.ts'
import type { BackgroundTask, TaskStatus } from './driver.ts'

/**
 * Runs the instance-start saga for `instance` with reason AutoRestart, as the task does: straight
 * to the saga (no intent write, no admission check). Rejects only if the saga could not be started.
 */
export type AutoRestart = (instance: InstanceRecord) => Promise<AutoRestartOutcome>

export type AutoRestartOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'failed'; readonly sagaId: string; readonly error: NexusApiError }

/** Omicron's `{reason:?}`. */
const REASON_DEBUG: Readonly<Record<ReincarnationReason, string>> = { failed: 'Failed', saga_unwound: 'SagaUnwound' }

const REASONS: readonly ReincarnationReason[] = ['failed', 'saga_unwound']

/** `DEFAULT_MAX_CONCURRENT_REINCARNATIONS`: the page size, and so how many sagas run at once. */
export const MAX_CONCURRENT_REINCARNATIONS = 16

type Settled = { readonly ok: true; readonly outcome: AutoRestartOutcome } | { readonly ok: false; readonly error: unknown }

/** `now` is virtual time in epoch ms (the cooldowns are measured against it). */
export function instanceReincarnation(db: Datastore, now: () => number, restart: AutoRestart): BackgroundTask {
  return {
    name: 'instance_reincarnation',
    async activate(): Promise<TaskStatus> {
      const found: Record<string, number> = {}
      const reincarnated: string[] = []
      const changedState: string[] = []
      const errors: string[] = []
      for (const reason of REASONS) {
        found[reason] = 0
        let after: string | null = null
        for (;;) {
          // Omicron's paginator: the next page of ids after the last one seen, read afresh each time.
          const page = db
            .instanceFindReincarnatable(reason, now())
            .filter((instance) => after === null || instance.id > after)
            .slice(0, MAX_CONCURRENT_REINCARNATIONS)
          const last = page.at(-1)
          if (last === undefined) break
          after = last.id
          found[reason] += page.length
          // Every saga of the page runs at once; the next page waits until all of them have ended,
          // so that no instance is seen twice while its saga is still changing it.
          const settled = await Promise.all(
            page.map((instance) =>
              restart(instance).then(
                (outcome): Settled => ({ ok: true, outcome }),
                (error: unknown): Settled => ({ ok: false, error }),
              ),
            ),
          )
          settled.forEach((result, i) => {
            const id = page[i]?.id ?? ''
            if (!result.ok) {
              const why = result.error instanceof Error ? result.error.message : String(result.error)
              errors.push(`failed to start instance-start saga for ${REASON_DEBUG[reason]} instance: ${why}`)
            } else if (result.outcome.kind === 'succeeded') reincarnated.push(id)
            // The instance's state changed in the meantime (omicron's `Error::Conflict`): fine.
            else if (result.outcome.error.statusCode === 409) changedState.push(id)
            else errors.push(`instance-start saga ${result.outcome.sagaId} for instance failed: ${displayNexusError(result.outcome.error)}`)
          })
        }
      }
      return { instances_found: found, instances_reincarnated: reincarnated, changed_state: changedState, restart_errors: errors }
    },
  }
}
