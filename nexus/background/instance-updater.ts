// The instance updater: the backstop for update sagas that never ran or failed. It finds live,
// unlocked instances whose active VMM is destroyed or failed, or whose migration has ended on either
// side, and runs an update saga for each, waiting for them all.
// Mirrors: omicron nexus/src/app/background/tasks/instance_updater.rs@b848b6d.
import type { InstanceUuid } from '../../sim/kernel/ids.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceUpdates } from '../app/vmm-intake.ts'
import type { BackgroundTask, TaskStatus } from './driver.ts'

export function instanceUpdater(db: Datastore, updates: InstanceUpdates): BackgroundTask {
  return {
    name: 'instance_updater',
    async activate(): Promise<TaskStatus> {
      const destroyed = db.instanceFindByActiveVmmState('destroyed')
      const failed = db.instanceFindByActiveVmmState('failed')
      const migrations = db.instanceFindWithTerminatedMigrations()
      // One saga per instance, even if it matches more than one query.
      const ids = [...new Set<InstanceUuid>([...destroyed, ...failed, ...migrations].map((i) => i.id))]
      let completed = 0
      const errors: string[] = []
      for (const id of ids) {
        try {
          await updates.run(id)
          completed += 1
        } catch (error) {
          errors.push(`update saga for instance ${id} failed: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      return {
        destroyed_active_vmms: destroyed.length,
        failed_active_vmms: failed.length,
        terminated_active_migrations: migrations.length,
        sagas_started: ids.length,
        sagas_completed: completed,
        saga_errors: errors,
      }
    },
  }
}
