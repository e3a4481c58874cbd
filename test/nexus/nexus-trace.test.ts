// What Nexus adds to the trace besides its sagas' steps: one `db.record` line per write of an
// instance, VMM or migration row, and the instance each saga is about on its `saga.started` line.
import { afterEach, describe, expect, it } from 'vitest'
import { Datastore } from '../../nexus/db/datastore.ts'
import { traceRecordWrite } from '../../nexus/db/record-trace.ts'
import type { RecordWrite } from '../../nexus/db/tables.ts'
import { IdSource } from '../../sim/kernel/ids.ts'
import { Rng } from '../../sim/kernel/rng.ts'
import { VirtualClock } from '../../sim/kernel/clock.ts'
import { Trace } from '../../sim/kernel/trace.ts'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

let w: FullWorld | null = null
afterEach(() => w?.dispose())

const GIB = 1024 ** 3

/** `table op id state@gen` of an instance or VMM write; null for other tables. */
function summary(write: RecordWrite): string | null {
  switch (write.table) {
    case 'instance':
    case 'vmm':
      return `${write.table} ${write.op} ${write.row.id} ${write.row.state}@${write.row.gen}`
    default:
      return null
  }
}

describe('the trace of Nexus’s record writes', () => {
  it('hands every committed write to onWrite and traces those of instance and VMM rows, in order', async () => {
    const writes: RecordWrite[] = []
    w = createFullWorld({ onWrite: (write) => writes.push(write) })

    await w.h.settleCall(w.nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await w.clock.advance(10_000)

    const traced = w.trace.events().flatMap((e) => (e.kind === 'db.record' && e.table !== 'migration' ? [`${e.table} ${e.op} ${e.id} ${e.state}@${e.gen}`] : []))
    const expected = writes.flatMap((x) => summary(x) ?? [])
    expect(new Set(writes.map((x) => x.table))).toEqual(new Set(['saga', 'instance', 'sled', 'sled_resource_vmm', 'vmm', 'virtual_provisioning_resource', 'virtual_provisioning_collection']))
    expect(traced).toEqual(expected)
    expect(w.trace.events().some((e) => e.kind === 'db.record' && e.table === 'migration')).toBe(false)
    expect(traced.filter((line) => line.startsWith('vmm')).map((line) => line.split(' ')[3])).toEqual(['creating@1', 'starting@2', 'starting@3', 'starting@4', 'running@5'])
  })

  it('renders an instance, a VMM and a migration write as snake_case fields', () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    const ids = new IdSource(new Rng(7))
    const db = new Datastore({ now: () => clock.now(), onWrite: (write) => traceRecordWrite(trace, write) })
    const sled = db.sledInsert({ id: ids.uuid('sled'), name: 'sled-1', hardwareThreads: 64, reservoirBytes: 256 * GIB, cpuFamily: 'amd_milan' })
    const inserted = db.instanceInsert({ id: ids.uuid('instance'), name: 'db1', projectId: ids.uuid('project'), ncpus: 2, memory: 4 * GIB, hostname: 'db1', intendedState: 'stopped' })
    if (inserted.kind !== 'inserted') throw new Error(inserted.kind)
    const instance = inserted.instance
    const source = db.vmmInsert({ id: ids.uuid('propolis'), instanceId: instance.id, sledId: sled.id, propolisIp: 'fd00::1', cpuPlatform: 'amd_milan' })
    const migration = db.migrationInsert({ id: ids.uuid('migration'), instanceId: instance.id, sourcePropolisId: source.id, targetPropolisId: ids.uuid('propolis') })

    const events = trace.events()

    expect(events.map((e) => e.kind)).toEqual(['db.record', 'db.record', 'db.record'])
    expect(events[0]).toMatchObject({ table: 'instance', op: 'insert', id: instance.id, state: 'creating', gen: 1, active_propolis_id: null, target_propolis_id: null, migration_id: null, intended_state: 'stopped' })
    expect(events[1]).toMatchObject({ table: 'vmm', op: 'insert', id: source.id, instance: instance.id, sled: sled.id, state: 'creating', gen: 1, failure_reason: null })
    expect(events[2]).toMatchObject({
      table: 'migration',
      op: 'insert',
      id: migration.id,
      instance: instance.id,
      source_propolis_id: source.id,
      target_propolis_id: migration.targetPropolisId,
      source_state: 'pending',
      source_gen: 1,
      target_state: 'pending',
      target_gen: 1,
    })
  })
})

describe('the subject of a saga in the trace', () => {
  it('names the instance on saga.started for each instance saga', async () => {
    w = createFullWorld()
    const created = await w.h.settleCall(w.nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
    await w.clock.advance(10_000)
    await w.h.settleCall(w.nexus.instances.stop('db1'))
    await w.clock.advance(10_000)
    await w.h.settleCall(w.nexus.instances.delete('db1'))

    const started = w.trace.events().flatMap((e) => (e.kind === 'saga.started' ? [[e.name, e.instance]] : []))

    expect(started).toEqual([
      ['instance_create', created.id],
      ['instance_start', created.id],
      ['start-instance-update', created.id],
      ['instance-update', created.id],
      ['instance_delete', created.id],
    ])
  })
})
