import { describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import { processVmmUpdate } from '../../../nexus/app/vmm-update.ts'
import { sledVmmStateFromSledAgent } from '../../../nexus/types/from-sled-agent.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { formatIso } from '../../../sim/kernel/time.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import { generation, type SledVmmState, type VmmState as WireVmmState } from '../../../sim/sled-agent/api/index.ts'
import { addRunningInstance, mustVmm, T0, testDb } from '../db/db-fixtures.ts'

const trace = new Trace(new VirtualClock())

function report(state: WireVmmState, gen: number, migrations: Partial<Pick<SledVmmState, 'migration_in' | 'migration_out'>> = {}) {
  return sledVmmStateFromSledAgent({
    vmm_state: { state, gen: generation(gen), time_updated: formatIso(T0 + gen) },
    migration_in: migrations.migration_in ?? null,
    migration_out: migrations.migration_out ?? null,
  })
}

describe('processVmmUpdate', () => {
  it('records a newer non-terminal state without asking for an update saga', () => {
    const t = testDb()
    const { vmm, instance } = addRunningInstance(t, 'db1')

    const outcome = processVmmUpdate(t.db, trace, vmm.id, report('stopping', vmm.gen + 1))

    expect(outcome).toEqual({ kind: 'recorded', instanceId: instance.id })
    expect(mustVmm(t, vmm.id)).toMatchObject({ state: 'stopping', gen: vmm.gen + 1, failureReason: null })
  })

  it('ignores a duplicate or stale report, successfully', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t, 'db1')
    processVmmUpdate(t.db, trace, vmm.id, report('stopping', vmm.gen + 1))

    const duplicate = processVmmUpdate(t.db, trace, vmm.id, report('stopping', vmm.gen + 1))
    const stale = processVmmUpdate(t.db, trace, vmm.id, report('running', vmm.gen))

    expect([duplicate.kind, stale.kind]).toEqual(['ignored', 'ignored'])
    expect(mustVmm(t, vmm.id)).toMatchObject({ state: 'stopping', gen: vmm.gen + 1 })
  })

  it.each([
    ['destroyed', null],
    ['failed', 'from_sled_agent'],
  ] as const)('asks for an update saga when the VMM becomes %s, storing reason %s', (state, reason) => {
    const t = testDb()
    const { vmm, instance } = addRunningInstance(t, 'db1')

    const outcome = processVmmUpdate(t.db, trace, vmm.id, report(state, vmm.gen + 1))

    expect(outcome).toEqual({ kind: 'needs_instance_update', instanceId: instance.id })
    expect(mustVmm(t, vmm.id)).toMatchObject({ state, failureReason: reason })
  })

  it('asks for an update saga when a migration side reaches a terminal state, and not before', () => {
    const t = testDb()
    const { vmm, instance } = addRunningInstance(t, 'db1')
    const migrationId = t.ids.uuid('migration')
    t.db.migrationInsert({ id: migrationId, instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: t.ids.uuid('propolis') })
    const side = (state: 'in_progress' | 'completed', gen: number) => ({ migration_out: { migration_id: migrationId, state, gen: generation(gen), time_updated: formatIso(T0) } })

    const during = processVmmUpdate(t.db, trace, vmm.id, report('migrating', vmm.gen + 1, side('in_progress', 2)))
    const done = processVmmUpdate(t.db, trace, vmm.id, report('migrating', vmm.gen + 2, side('completed', 3)))

    expect([during.kind, done.kind]).toEqual(['recorded', 'needs_instance_update'])
    expect(t.db.migrationGet(migrationId)).toMatchObject({ sourceState: 'completed', sourceGen: 3, targetState: 'pending' })
  })

  it('refuses a report that names one migration as both in and out with 409, writing nothing', () => {
    const t = testDb()
    const { vmm } = addRunningInstance(t, 'db1')
    const m = { migration_id: t.ids.uuid('migration'), state: 'in_progress' as const, gen: generation(2), time_updated: formatIso(T0) }

    const attempt = () => processVmmUpdate(t.db, trace, vmm.id, report('migrating', vmm.gen + 1, { migration_in: m, migration_out: m }))

    expect(attempt).toThrow(NexusApiError)
    expect(attempt).toThrow('migrating from a VMM to itself is nonsensical')
    expect(mustVmm(t, vmm.id).gen).toBe(vmm.gen)
  })

  it('answers a report for a VMM Nexus has no row for with a 500', () => {
    const t = testDb()

    let error: unknown
    try {
      processVmmUpdate(t.db, trace, t.ids.uuid('propolis'), report('running', 3))
    } catch (e) {
      error = e
    }

    expect(error).toBeInstanceOf(NexusApiError)
    expect(error).toMatchObject({ statusCode: 500, errorCode: 'Internal', message: 'Internal Server Error' })
  })
})
