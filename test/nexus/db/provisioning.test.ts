import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ProvisioningParams } from '../../../nexus/db/provisioning.ts'
import { GIB, testDb, type TestDb } from './db-fixtures.ts'

function instanceParams(t: TestDb, cpus = 4, ram = 8 * GIB): ProvisioningParams {
  return { instanceId: t.ids.uuid('instance'), projectId: t.projectId, cpus, ram }
}

describe('virtual provisioning', () => {
  it('adds an instance to its project and to the fleet, once', () => {
    const t = testDb()
    const p = instanceParams(t)

    expect(t.db.provisioningAddInstance(p)).toEqual({ kind: 'added', resource: p })
    expect(t.db.provisioningAddInstance({ ...p, cpus: 99 })).toEqual({ kind: 'already_added', resource: p })
    expect(t.db.provisioningRead()).toEqual({
      fleet: { cpus: 4, ram: 8 * GIB },
      projects: [{ projectId: t.projectId, cpus: 4, ram: 8 * GIB }],
      instances: [p],
    })
  })

  it('releases exactly what the instance held, once (a late second release changes nothing, #5042)', () => {
    const t = testDb()
    const a = instanceParams(t, 2, GIB)
    const b = instanceParams(t, 6, 3 * GIB)
    t.db.provisioningAddInstance(a)
    t.db.provisioningAddInstance(b)

    expect(t.db.provisioningReleaseInstance(a.instanceId)).toEqual({ kind: 'released', resource: a })
    expect(t.db.provisioningReleaseInstance(a.instanceId)).toEqual({ kind: 'not_present' })
    expect(t.db.provisioningRead()).toEqual({ fleet: { cpus: 6, ram: 3 * GIB }, projects: [{ projectId: t.projectId, cpus: 6, ram: 3 * GIB }], instances: [b] })
  })

  it('answers not_present for an instance that never held provisioning', () => {
    const t = testDb()

    expect(t.db.provisioningReleaseInstance(t.ids.uuid('instance'))).toEqual({ kind: 'not_present' })
    expect(t.db.provisioningRead().fleet).toEqual({ cpus: 0, ram: 0 })
  })

  it('never goes negative and always equals what the instances hold, whatever the order of adds and releases', () => {
    const op = fc.record({ kind: fc.constantFrom('add' as const, 'release' as const), instance: fc.nat({ max: 4 }) })

    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.nat({ max: 1000 }), (ops, seed) => {
        const t = testDb(seed)
        const projects = [t.projectId, t.ids.uuid('project')] as const
        const instances = [0, 1, 2, 3, 4].map((i) => ({
          instanceId: t.ids.uuid('instance'),
          projectId: projects[i % 2] ?? t.projectId,
          cpus: i + 1,
          ram: (i + 1) * GIB,
        }))
        const held = new Set<number>()

        for (const { kind, instance } of ops) {
          const p = instances[instance]
          if (p === undefined) throw new Error('no such instance')
          const outcome = kind === 'add' ? t.db.provisioningAddInstance(p) : t.db.provisioningReleaseInstance(p.instanceId)
          const wasHeld = held.has(instance)
          expect(outcome.kind).toBe(kind === 'add' ? (wasHeld ? 'already_added' : 'added') : wasHeld ? 'released' : 'not_present')
          if (kind === 'add') held.add(instance)
          else held.delete(instance)
        }

        const read = t.db.provisioningRead()
        const holding = instances.filter((_, i) => held.has(i))
        const sum = (rows: readonly { cpus: number; ram: number }[]) => rows.reduce((s, r) => ({ cpus: s.cpus + r.cpus, ram: s.ram + r.ram }), { cpus: 0, ram: 0 })
        expect(read.fleet).toEqual(sum(holding))
        for (const project of read.projects) {
          expect(project.cpus).toBeGreaterThanOrEqual(0)
          expect(project.ram).toBeGreaterThanOrEqual(0)
          expect({ cpus: project.cpus, ram: project.ram }).toEqual(sum(holding.filter((h) => h.projectId === project.projectId)))
        }
      }),
      { seed: 20260821, numRuns: 200 },
    )
  })
})
