// The instance-reincarnation task (auto-restart): finds instances that want to run but are failed,
// or whose active VMM is the saga_unwound leftover of a failed start, whose policy allows a restart
// and whose cooldown is over, and starts each with reason AutoRestart. A start that lost a race
// (409) is "changed state", not an error. Mirrors: omicron
// nexus/src/app/background/tasks/instance_reincarnation.rs@b848b6d.
// Simplification: instances are taken one at a time rather than in pages of 16 started together.
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import type { Datastore } from '../db/datastore.ts'
import type { ReincarnationReason } from '../db/background-queries.ts'
import { NexusApiError } from '../app/errors.ts'
import type { BackgroundTask, TaskStatus } from './driver.ts'

/** Starts an instance with reason AutoRestart; rejects with the start's NexusApiError. */
export type AutoRestart = (instanceId: InstanceUuid) => Promise<void>

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
          try {
            await restart(instance.id)
            reincarnated.push(instance.id)
          } catch (error) {
            if (error instanceof NexusApiError && error.statusCode === 409) changedState.push(instance.id)
            else errors.push(`restart of instance ${instance.id} failed: ${error instanceof Error ? error.message : String(error)}`)
          }
        }
      }
      return { instances_found: found, instances_reincarnated: reincarnated, changed_state: changedState, restart_errors: errors }
    },
  }
}
