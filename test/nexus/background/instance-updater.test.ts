import { describe, expect, it } from 'vitest'
import { instanceUpdater } from '../../../nexus/background/instance-updater.ts'
import { failedVmmState, vmmState } from '../../../nexus/types/vmm-state.ts'
import type { InstanceUuid } from '../../../sim/kernel/ids.ts'
import { RecordingUpdates } from '../../support/nexus-world.ts'
import { addRunningInstance, testDb } from '../db/db-fixtures.ts'

describe('the instance updater', () => {
  it('runs one update saga for each unlocked instance whose active VMM ended, and none for the others', async () => {
    const t = testDb()
    const destroyed = addRunningInstance(t, 'gone', vmmState('destroyed'))
    const failed = addRunningInstance(t, 'broken', failedVmmState('from_sled_agent'))
    addRunningInstance(t, 'fine')
    addRunningInstance(t, 'unwound', vmmState('saga_unwound'))
    const locked = addRunningInstance(t, 'busy', vmmState('destroyed'))
    t.db.instanceTryLock(locked.instance.id, t.ids.uuid('updater'))
    const updates = new RecordingUpdates()

    const status = await instanceUpdater(t.db, updates).activate()

    expect(updates.ran).toEqual([destroyed.instance.id, failed.instance.id])
    expect(status).toEqual({ destroyed_active_vmms: 1, failed_active_vmms: 1, terminated_active_migrations: 0, sagas_started: 2, sagas_completed: 2, saga_errors: [] })
  })

  it('reports a saga that fails instead of throwing', async () => {
    const t = testDb()
    const { instance } = addRunningInstance(t, 'gone', vmmState('destroyed'))
    const failing = { spawn: () => {}, run: (id: InstanceUuid) => Promise.reject(new Error(`no luck for ${id}`)) }

    const status = await instanceUpdater(t.db, failing).activate()

    expect(status).toMatchObject({ sagas_started: 1, sagas_completed: 0, saga_errors: [`update saga for instance ${instance.id} failed: no luck for ${instance.id}`] })
  })
})
