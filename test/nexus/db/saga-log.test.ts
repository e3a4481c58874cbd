import { describe, expect, it } from 'vitest'
import { T0, testDb } from './db-fixtures.ts'

describe('the saga log', () => {
  it('creates a running saga with JSON params and an empty log', () => {
    const t = testDb()
    const id = t.ids.shortId()

    const saga = t.db.sagaCreate({ id, name: 'instance_start', params: { instanceId: 'i-1', reason: 'user', skipped: undefined } })

    expect(saga).toEqual({
      id,
      name: 'instance_start',
      params: { instanceId: 'i-1', reason: 'user' },
      state: 'running',
      failedNode: null,
      undoFailedNode: null,
      timeCreated: T0,
      timeFinished: null,
      events: [],
    })
  })

  it('appends node events in order, stamped with the time, outputs as JSON copies', () => {
    const t = testDb()
    const id = t.ids.shortId()
    t.db.sagaCreate({ id, name: 'instance_start', params: {} })
    const output = { sledId: 's-1', nested: { n: 1 } }

    t.db.sagaAppendEvent(id, { kind: 'started', node: 'alloc-server' })
    t.advance(5)
    t.db.sagaAppendEvent(id, { kind: 'succeeded', node: 'alloc-server', output })
    output.nested.n = 2
    t.db.sagaAppendEvent(id, { kind: 'started', node: 'create-vmm-record' })
    t.db.sagaAppendEvent(id, { kind: 'failed', node: 'create-vmm-record', error: 'boom' })
    t.db.sagaAppendEvent(id, { kind: 'undo_started', node: 'alloc-server' })
    const saga = t.db.sagaAppendEvent(id, { kind: 'undo_finished', node: 'alloc-server' })

    expect(saga.events).toEqual([
      { kind: 'started', node: 'alloc-server', time: T0 },
      { kind: 'succeeded', node: 'alloc-server', output: { sledId: 's-1', nested: { n: 1 } }, time: T0 + 5 },
      { kind: 'started', node: 'create-vmm-record', time: T0 + 5 },
      { kind: 'failed', node: 'create-vmm-record', error: 'boom', time: T0 + 5 },
      { kind: 'undo_started', node: 'alloc-server', time: T0 + 5 },
      { kind: 'undo_finished', node: 'alloc-server', time: T0 + 5 },
    ])
  })

  it('stores an action that returned nothing as a null output', () => {
    const t = testDb()
    const id = t.ids.shortId()
    t.db.sagaCreate({ id, name: 'instance_delete', params: {} })

    const saga = t.db.sagaAppendEvent(id, { kind: 'succeeded', node: 'delete-nat', output: undefined })

    expect(saga.events).toEqual([{ kind: 'succeeded', node: 'delete-nat', output: null, time: T0 }])
  })

  it('records how a saga ended: succeeded, unwound with its failed node, or stuck with its failed undo', () => {
    const t = testDb()
    const [a, b, c] = [t.ids.shortId(), t.ids.shortId(), t.ids.shortId()]
    for (const id of [a, b, c]) t.db.sagaCreate({ id, name: 'instance_start', params: null })
    t.advance(3)

    expect(t.db.sagaFinish(a, { state: 'succeeded' })).toMatchObject({ state: 'succeeded', failedNode: null, timeFinished: T0 + 3 })
    expect(t.db.sagaFinish(b, { state: 'unwound', failedNode: 'ensure-running' })).toMatchObject({ state: 'unwound', failedNode: 'ensure-running' })
    expect(t.db.sagaFinish(c, { state: 'stuck', failedNode: 'ensure-running', undoFailedNode: 'ensure-registered' })).toMatchObject({
      state: 'stuck',
      failedNode: 'ensure-running',
      undoFailedNode: 'ensure-registered',
    })
    expect(t.db.sagaList({ state: 'running' })).toEqual([])
    expect(t.db.sagaList({ name: 'instance_start' }).map((s) => s.id)).toEqual([a, b, c])
  })

  it('fails loudly on a duplicate id, an unknown saga, a finished saga, and params JSON cannot carry', () => {
    const t = testDb()
    const id = t.ids.shortId()
    t.db.sagaCreate({ id, name: 'instance_update', params: 1 })
    t.db.sagaFinish(id, { state: 'succeeded' })

    expect(() => t.db.sagaCreate({ id, name: 'x', params: 1 })).toThrow(/already exists/)
    expect(() => t.db.sagaAppendEvent(t.ids.shortId(), { kind: 'started', node: 'n' })).toThrow(/no saga/)
    expect(() => t.db.sagaAppendEvent(id, { kind: 'started', node: 'n' })).toThrow(/already succeeded/)
    expect(() => t.db.sagaFinish(id, { state: 'succeeded' })).toThrow(/already succeeded/)
    expect(() => t.db.sagaCreate({ id: t.ids.shortId(), name: 'x', params: undefined })).toThrow(/not JSON/)
  })

  it('hands out copies: changing what a read returns changes nothing stored', () => {
    const t = testDb()
    const id = t.ids.shortId()
    t.db.sagaCreate({ id, name: 'instance_start', params: { list: [1, 2] } })
    t.db.sagaAppendEvent(id, { kind: 'succeeded', node: 'n', output: { a: 1 } })

    const read = t.db.sagaGet(id)
    if (read === null) throw new Error('no saga')
    const params = read.params as { list: number[] }
    params.list.push(3)
    ;(read.events as unknown[]).length = 0

    expect(t.db.sagaGet(id)).toMatchObject({ params: { list: [1, 2] }, events: [{ kind: 'succeeded', output: { a: 1 } }] })
  })
})
