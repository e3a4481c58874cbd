import { describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import { listInstances, lookupInstance, viewInstance } from '../../../nexus/app/instance-lookup.ts'
import { addRunningInstance, addStoppedInstance, testDb } from '../db/db-fixtures.ts'

describe('instance lookup and views', () => {
  it('finds an instance by name in the project or by id, in any case of hex', () => {
    const t = testDb()
    const row = addStoppedInstance(t, 'db1')

    expect(lookupInstance(t.db, t.projectId, 'db1').id).toBe(row.id)
    expect(lookupInstance(t.db, t.projectId, row.id.toUpperCase()).id).toBe(row.id)
  })

  it('answers an unknown name or id with the external 404', () => {
    const t = testDb()
    const id = t.ids.uuid('instance')

    const byName = () => lookupInstance(t.db, t.projectId, 'nope')
    const byId = () => lookupInstance(t.db, t.projectId, id)

    expect(byName).toThrow(NexusApiError)
    expect(byName).toThrow('not found: instance with name "nope"')
    expect(byId).toThrow(`not found: instance with id "${id}"`)
  })

  it('builds views from the record and the live active VMM, listing in creation order', () => {
    const t = testDb()
    addStoppedInstance(t, 'web')
    const { instance } = addRunningInstance(t, 'db1')

    expect(viewInstance(t.db, instance.id).runState).toBe('running')
    expect(listInstances(t.db, t.projectId).map((v) => [v.name, v.runState])).toEqual([
      ['web', 'stopped'],
      ['db1', 'running'],
    ])
  })
})
