// Operator expunge through Nexus: the sled's policy becomes expunged, the watcher fails the VMMs it
// held with `sled_expunged`, and reincarnation restarts what may be restarted on another sled.
import { afterEach, describe, expect, it } from 'vitest'
import type { VmmRecord } from '../../nexus/db/records.ts'
import { typedUuid } from '../../sim/kernel/ids.ts'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

let w: FullWorld | null = null
afterEach(() => w?.dispose())

const GIB = 1024 ** 3

function activeVmm(world: FullWorld, name: string): VmmRecord {
  const instance = world.nexus.db.readView().instance(name)
  const vmm = instance?.activePropolisId == null ? null : world.nexus.db.vmmGet(typedUuid('propolis', instance.activePropolisId))
  if (vmm === null) throw new Error(`no active VMM for ${name}`)
  return vmm
}

describe('nexus.sledExpunge', () => {
  it('fails the instances on the sled with sled_expunged and restarts the one with an auto-restart policy elsewhere', async () => {
    // Seed 3 places both instances on one sled.
    w = createFullWorld({ seed: 3 })
    const { nexus, h, clock } = w
    await h.settleCall(nexus.instances.create({ name: 'keep-down', ncpus: 2, memory: 4 * GIB, start: true, autoRestartPolicy: 'never' }))
    await h.settleCall(nexus.instances.create({ name: 'restart-me', ncpus: 2, memory: 4 * GIB, start: true, autoRestartPolicy: 'best_effort' }))
    await clock.advance(10_000)
    const before = { keep: activeVmm(w, 'keep-down'), restart: activeVmm(w, 'restart-me') }
    const expunged = before.restart.sledId

    const status = await h.settleCall(nexus.sledExpunge(expunged))
    await clock.advance(10_000)

    expect(before.keep.sledId).toBe(expunged)
    expect(nexus.db.sledGet(expunged)?.policy).toBe('expunged')
    expect(status).toMatchObject({ failed_checks: { sled_expunged: 2 } })
    expect(nexus.db.vmmGet(before.keep.id, { includeDeleted: true })).toMatchObject({ state: 'failed', failureReason: 'sled_expunged' })
    expect(nexus.db.vmmGet(before.restart.id, { includeDeleted: true })).toMatchObject({ state: 'failed', failureReason: 'sled_expunged' })
    expect(nexus.instances.view('keep-down')).toMatchObject({ runState: 'failed', timeLastAutoRestarted: null })
    expect(nexus.instances.view('restart-me')).toMatchObject({ runState: 'running', timeLastAutoRestarted: expect.any(String) })
    const restarted = activeVmm(w, 'restart-me')
    expect(restarted).toMatchObject({ state: 'running' })
    expect(restarted.id).not.toBe(before.restart.id)
    expect(restarted.sledId).not.toBe(expunged)
  })

  it('rejects a sled not in the inventory with a 404', async () => {
    w = createFullWorld()

    const expunge = w.nexus.sledExpunge(w.h.ids.uuid('sled'))

    await expect(expunge).rejects.toMatchObject({ name: 'NexusApiError', statusCode: 404 })
  })

  it('rejects with a 503 while Nexus is down', async () => {
    w = createFullWorld()
    const [sled] = w.h.sleds
    if (sled === undefined) throw new Error('no sled')
    w.nexus.crash()

    const expunge = w.nexus.sledExpunge(sled.id)

    await expect(expunge).rejects.toMatchObject({ name: 'NexusApiError', statusCode: 503 })
    expect(w.nexus.db.sledGet(sled.id)?.policy).toBe('in_service')
  })
})
