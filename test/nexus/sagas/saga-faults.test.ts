import { describe, expect, it } from 'vitest'
import { insufficientCapacity } from '../../../nexus/app/errors.ts'
import { SagaFaults } from '../../../nexus/sagas/saga-faults.ts'

describe('SagaFaults', () => {
  it('fails a node once by default, with an injected ActionFailure that names the saga and node', () => {
    const faults = new SagaFaults()
    const handle = faults.failAt('instance_start', 'alloc-server')

    const first = faults.takeActionFailure('instance_start', 'alloc-server')
    const second = faults.takeActionFailure('instance_start', 'alloc-server')

    expect([first?.message, first?.injected, first?.apiError, second]).toEqual(['action failed: injected by sagaFaults.failAt (instance_start/alloc-server)', true, null, null])
    expect([handle.fired, handle.remaining, faults.armed()]).toEqual([1, 0, []])
  })

  it('carries the API error the failure should surface', () => {
    const faults = new SagaFaults()
    faults.failAt('instance_start', 'alloc-server', { error: insufficientCapacity('no sled') })

    expect(faults.takeActionFailure('instance_start', 'alloc-server')?.apiError?.statusCode).toBe(507)
  })

  it('fires only for the saga and node it names', () => {
    const faults = new SagaFaults()
    faults.failAt('instance_start', 'alloc-server')
    faults.failUndoAt('instance_start', 'alloc-server')

    expect(faults.takeActionFailure('instance_migrate', 'alloc-server')).toBeNull()
    expect(faults.takeActionFailure('instance_start', 'create-vmm-record')).toBeNull()
    expect(faults.takeCrash('instance_start', 'alloc-server', 'after_succeeded')).toBe(false)
    expect(faults.takeUndoFailure('instance_start', 'alloc-server')?.message).toBe('undo failed: injected by sagaFaults.failUndoAt (instance_start/alloc-server)')
  })

  it('crashes at the point asked for, after the success by default', () => {
    const faults = new SagaFaults()
    faults.crashNexusAfter('instance_start', 'alloc-server')
    faults.crashNexusAfter('instance_start', 'create-vmm-record', { at: 'before_undo_finished' })

    expect(faults.takeCrash('instance_start', 'alloc-server', 'before_succeeded')).toBe(false)
    expect(faults.takeCrash('instance_start', 'alloc-server', 'after_succeeded')).toBe(true)
    expect(faults.takeCrash('instance_start', 'create-vmm-record', 'after_undo_finished')).toBe(false)
    expect(faults.takeCrash('instance_start', 'create-vmm-record', 'before_undo_finished')).toBe(true)
  })

  it('fires as many times as asked, or always with Infinity', () => {
    const faults = new SagaFaults()
    faults.failAt('a', 'x', { times: 2 })
    faults.failAt('b', 'y', { times: Infinity })

    const a = [1, 2, 3].map(() => faults.takeActionFailure('a', 'x') !== null)
    const b = [1, 2, 3].map(() => faults.takeActionFailure('b', 'y') !== null)

    expect([a, b]).toEqual([
      [true, true, false],
      [true, true, true],
    ])
  })

  it('disarms one fault through its handle, or all at once', () => {
    const faults = new SagaFaults()
    const one = faults.failAt('a', 'x')
    faults.failAt('a', 'y')
    one.clear()
    const afterOne = faults.armed().map((r) => r.node)
    faults.clear()

    expect([afterOne, faults.armed()]).toEqual([['y'], []])
  })

  it.each([0, -1, 1.5, Number.NaN])('rejects times = %s', (times) => {
    expect(() => new SagaFaults().failAt('a', 'x', { times })).toThrow(RangeError)
  })
})
