import { describe, expect, it } from 'vitest'
import { describeVmmFailureReason, VMM_FAILURE_REASONS, type VmmFailureReason } from '../../../nexus/types/vmm-failure-reason.ts'
import {
  DESTROYABLE_VMM_STATES,
  existsOnSled,
  failedVmmState,
  isDestroyable,
  isFailed,
  isTerminal,
  NONEXISTENT_VMM_STATES,
  TERMINAL_VMM_STATES,
  VMM_STATE_LABELS,
  vmmState,
  vmmStateLabel,
  vmmStatesEqual,
  type VmmState,
  type VmmStateLabel,
} from '../../../nexus/types/vmm-state.ts'
import { expectKeysCover } from '../../support/covers.ts'

const stateOf = (label: VmmStateLabel): VmmState => (label === 'failed' ? failedVmmState('sled_off') : vmmState(label))

// [is_terminal, is_failed, is_destroyable, exists_on_sled], from omicron-model.md §3.1.
const PREDICATES = {
  creating: [false, false, false, false],
  starting: [false, false, false, true],
  running: [false, false, false, true],
  stopping: [false, false, false, true],
  stopped: [false, false, false, true],
  rebooting: [false, false, false, true],
  migrating: [false, false, false, true],
  failed: [true, true, true, true],
  destroyed: [true, false, true, false],
  saga_unwound: [false, false, true, false],
} as const satisfies Record<VmmStateLabel, readonly [boolean, boolean, boolean, boolean]>

describe('domain VmmState predicates', () => {
  it('has a row for every state', () => {
    expectKeysCover(PREDICATES, VMM_STATE_LABELS)
  })

  it.each(Object.entries(PREDICATES))('%s: terminal, failed, destroyable, exists on sled = %j', (label, expected) => {
    const s = stateOf(label as VmmStateLabel)

    expect([isTerminal(s), isFailed(s), isDestroyable(s), existsOnSled(s)]).toEqual(expected)
    expect(vmmStateLabel(s)).toBe(label)
  })

  it('gives the same answers for every failure reason', () => {
    for (const reason of VMM_FAILURE_REASONS) {
      const s = failedVmmState(reason)
      expect([isTerminal(s), isFailed(s), isDestroyable(s), existsOnSled(s)]).toEqual(PREDICATES.failed)
    }
  })

  it('names the sets the predicates are built from, leaving saga_unwound destroyable but not terminal', () => {
    expect([...TERMINAL_VMM_STATES].sort()).toEqual(['destroyed', 'failed'])
    expect([...DESTROYABLE_VMM_STATES].sort()).toEqual(['destroyed', 'failed', 'saga_unwound'])
    expect([...NONEXISTENT_VMM_STATES].sort()).toEqual(['creating', 'destroyed', 'saga_unwound'])
  })
})

describe('vmmStatesEqual', () => {
  it('compares labels, and for failed states the reason too', () => {
    expect(vmmStatesEqual(vmmState('running'), vmmState('running'))).toBe(true)
    expect(vmmStatesEqual(vmmState('running'), vmmState('stopping'))).toBe(false)
    expect(vmmStatesEqual(failedVmmState('from_sled_agent'), failedVmmState('from_sled_agent'))).toBe(true)
    expect(vmmStatesEqual(failedVmmState('from_sled_agent'), failedVmmState('no_such_instance'))).toBe(false)
    expect(vmmStatesEqual(failedVmmState('sled_off'), vmmState('destroyed'))).toBe(false)
  })
})

const DESCRIPTIONS = {
  prehistoric: 'VMM failed prior to recorded history',
  from_sled_agent: 'failed VMM state received from sled-agent',
  no_such_instance: 'VMM no longer present on sled',
  sled_expunged: 'the sled this VMM was running on has been expunged',
  sled_off: 'the sled this VMM was running on powered off',
} as const satisfies Record<VmmFailureReason, string>

describe('VmmFailureReason', () => {
  it('has a description for every reason', () => {
    expectKeysCover(DESCRIPTIONS, VMM_FAILURE_REASONS)
  })

  it.each(Object.entries(DESCRIPTIONS))('describes %s as %j', (reason, text) => {
    expect(describeVmmFailureReason(reason as VmmFailureReason)).toBe(text)
  })
})
