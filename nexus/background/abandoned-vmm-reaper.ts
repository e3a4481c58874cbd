// The abandoned-VMM reaper: a VMM is abandoned when it is destroyed, failed or saga_unwound, not yet
// deleted, and neither the active nor the target VMM of its instance. For each, free its sled
// reservation, then soft-delete it. It never touches instance records.
// Mirrors: omicron nexus/src/app/background/tasks/abandoned_vmm_reaper.rs@b848b6d.
import type { Datastore } from '../db/datastore.ts'
import type { BackgroundTask, TaskStatus } from './driver.ts'

export function abandonedVmmReaper(db: Datastore): BackgroundTask {
  return {
    name: 'abandoned_vmm_reaper',
    activate: () => Promise.resolve(reapAll(db)),
  }
}

// Listing is separate from acting, so a test can slip a race between them.
export function reapAll(db: Datastore): TaskStatus {
  const found = db.vmmListAbandoned()
  let reservationsDeleted = 0
  let vmmsDeleted = 0
  let alreadyDeleted = 0
  const errors: string[] = []
  for (const vmm of found) {
    if (db.sledReservationDelete(vmm.id).kind === 'deleted') reservationsDeleted += 1
    const outcome = db.vmmMarkDeleted(vmm.id)
    switch (outcome.kind) {
      case 'deleted':
        vmmsDeleted += 1
        break
      case 'already_deleted':
        alreadyDeleted += 1
        break
      case 'not_destroyable':
      case 'not_found':
        errors.push(`reap vmm ${vmm.id} failed: ${outcome.kind}`)
        break
    }
  }
  return {
    vmms_found: found.length,
    sled_reservations_deleted: reservationsDeleted,
    vmms_deleted: vmmsDeleted,
    vmms_already_deleted: alreadyDeleted,
    errors,
  }
}
