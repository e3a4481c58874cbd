import { describe, expect, it } from 'vitest'
import type { SagaNodeEvent } from '../../../nexus/db/records.ts'
import { SagaReplayError, sagaResumePoint } from '../../../nexus/sagas/saga-replay.ts'

const NODES = ['a', 'b', 'c']

/** Events from `kind node[=output]` words, stamped at time 0. */
function log(...words: string[]): SagaNodeEvent[] {
  return words.map((word): SagaNodeEvent => {
    const [kind = '', rest = ''] = word.split(' ')
    const [node = '', output] = rest.split('=')
    switch (kind) {
      case 'started':
      case 'undo_started':
      case 'undo_finished':
        return { kind, node, time: 0 }
      case 'succeeded':
        return { kind, node, output: output ?? null, time: 0 }
      case 'failed':
      case 'undo_failed':
        return { kind, node, error: `${node} broke`, time: 0 }
      default:
        throw new Error(`bad word ${word}`)
    }
  })
}

describe('sagaResumePoint', () => {
  it.each([
    ['an empty log', [], { phase: 'forward', nextNode: 0, startedLogged: false }],
    ['a node started and never ended', ['started a'], { phase: 'forward', nextNode: 0, startedLogged: true }],
    ['a node succeeded', ['started a', 'succeeded a=x'], { phase: 'forward', nextNode: 1, startedLogged: false }],
    ['every node succeeded', ['started a', 'succeeded a', 'started b', 'succeeded b', 'started c', 'succeeded c'], { phase: 'forward', nextNode: 3, startedLogged: false }],
  ])('goes forward after %s', (_what, words, expected) => {
    expect(sagaResumePoint('toy', NODES, log(...words))).toMatchObject(expected)
  })

  it.each([
    ['the failure', ['started a', 'succeeded a', 'started b', 'succeeded b', 'started c', 'failed c'], ['b', 'a'], false],
    ['an undo that started', ['started a', 'succeeded a', 'started b', 'succeeded b', 'started c', 'failed c', 'undo_started b'], ['b', 'a'], true],
    ['an undo that finished', ['started a', 'succeeded a', 'started b', 'succeeded b', 'started c', 'failed c', 'undo_started b', 'undo_finished b'], ['a'], false],
    ['a failure at the first node', ['started a', 'failed a'], [], false],
  ])('unwinds after %s', (_what, words, toUndo, undoStartedLogged) => {
    expect(sagaResumePoint('toy', NODES, log(...words))).toMatchObject({ phase: 'unwinding', toUndo, undoStartedLogged })
  })

  it('keeps the outputs the log holds', () => {
    const point = sagaResumePoint('toy', NODES, log('started a', 'succeeded a=x', 'started b', 'succeeded b=y'))

    expect([...point.outputs]).toEqual([
      ['a', 'x'],
      ['b', 'y'],
    ])
  })

  it('stays stuck after a logged undo failure', () => {
    const point = sagaResumePoint('toy', NODES, log('started a', 'succeeded a', 'started b', 'failed b', 'undo_started a', 'undo_failed a'))

    expect(point).toMatchObject({ phase: 'stuck', failedNode: 'b', error: 'b broke', undoNode: 'a', undoError: 'a broke' })
  })

  it('refuses a log that names a node the saga does not have', () => {
    expect(() => sagaResumePoint('toy', NODES, log('started z'))).toThrow(SagaReplayError)
  })

  it('refuses a log whose nodes succeeded out of order', () => {
    expect(() => sagaResumePoint('toy', NODES, log('started b', 'succeeded b'))).toThrow('nodes succeeding out of order')
  })
})
