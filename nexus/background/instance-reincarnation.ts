// The instance-reincarnation task (auto-restart): finds instances that want to run but are failed,
// or whose active VMM is the saga_unwound leftover of a failed start, whose policy allows a restart
// and whose cooldown is over, and starts each with reason AutoRestart. A start that lost a race
// (409) is "changed state", not an error. Mirrors: omicron
// nexus/src/app/background/tasks/instance_reincarnation.rs@b848b6d.
// Simplification: instances are taken one at a time rather than in pages of 16 started together.
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
        const instances = db.instanceFindReincarnatable(reason, now())
        found[reason] = instances.length
        for (const instance of instances) {
          let outcome: AutoRestartOutcome
          try {
            outcome = await restart(instance)
          } catch (error) {
            errors.push(`failed to start instance-start saga for ${REASON_DEBUG[reason]} instance: ${error instanceof Error ? error.message : String(error)}`)
            continue
          }
          if (outcome.kind === 'succeeded') reincarnated.push(instance.id)
          // The instance's state changed in the meantime (omicron's `Error::Conflict`): fine.
          else if (outcome.error.statusCode === 409) changedState.push(instance.id)
          else errors.push(`instance-start saga ${outcome.sagaId} for instance failed: ${displayNexusError(outcome.error)}`)
        }
      }
      return { instances_found: found, instances_reincarnated: reincarnated, changed_state: changedState, restart_errors: errors }
    },
  }
}
