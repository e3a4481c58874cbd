import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { VMM_FAILURE_REASONS, type VmmFailureReason } from '../../../nexus/types/vmm-failure-reason.ts'
import {
  RecordConstraintError,
  vmmRuntimeFromRecord,
  vmmRuntimeRecordFromDomain,
  vmmStateFromRecord,
  vmmStateFromRecordState,
  type VmmRecordState,
} from '../../../nexus/types/vmm-record.ts'
import { failedVmmState, VMM_STATE_LABELS, vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { generation } from '../../../sim/sled-agent/api/index.ts'
import { expectKeysCover } from '../../support/covers.ts'

const T = Date.UTC(2026, 7, 21, 10)

// omicron-model.md §3.4: the columns each domain state writes, and what a label alone reads back as.
const COLUMNS = {
  creating: { domain: vmmState('creating'), failureReason: null, fromLabel: vmmState('creating') },
  starting: { domain: vmmState('starting'), failureReason: null, fromLabel: vmmState('starting') },
  running: { domain: vmmState('running'), failureReason: null, fromLabel: vmmState('running') },
  stopping: { domain: vmmState('stopping'), failureReason: null, fromLabel: vmmState('stopping') },
  stopped: { domain: vmmState('stopped'), failureReason: null, fromLabel: vmmState('stopped') },
  rebooting: { domain: vmmState('rebooting'), failureReason: null, fromLabel: vmmState('rebooting') },
  migrating: { domain: vmmState('migrating'), failureReason: null, fromLabel: vmmState('migrating') },
  failed: { domain: failedVmmState('sled_expunged'), failureReason: 'sled_expunged', fromLabel: failedVmmState('prehistoric') },
  destroyed: { domain: vmmState('destroyed'), failureReason: null, fromLabel: vmmState('destroyed') },
  saga_unwound: { domain: vmmState('saga_unwound'), failureReason: null, fromLabel: vmmState('saga_unwound') },
} as const satisfies Record<VmmRecordState, { domain: VmmState; failureReason: VmmFailureReason | null; fromLabel: VmmState }>

const arbitraryVmmState: fc.Arbitrary<VmmState> = fc.oneof(
  fc.constantFrom(...VMM_STATE_LABELS.filter((l) => l !== 'failed')).map((l) => vmmState(l)),
  fc.constantFrom(...VMM_FAILURE_REASONS).map((r) => failedVmmState(r)),
)

describe('VMM domain <-> record', () => {
  it('has a row for every record state', () => {
    expectKeysCover(COLUMNS, VMM_STATE_LABELS)
  })

  it.each(Object.entries(COLUMNS))('writes %s with failure_reason %j and reads it back', (label, row) => {
    const record = vmmRuntimeRecordFromDomain({ state: row.domain, generation: generation(3), timeUpdated: T })

    expect(record).toEqual({ state: label, failureReason: row.failureReason, gen: 3, timeStateUpdated: T })
    expect(vmmRuntimeFromRecord(record)).toEqual({ state: row.domain, generation: 3, timeUpdated: T })
  })

  it.each(Object.entries(COLUMNS))('reads the bare label %s as %j', (label, row) => {
    expect(vmmStateFromRecordState(label as VmmRecordState)).toEqual(row.fromLabel)
  })

  it('keeps every failure reason through the columns', () => {
    for (const reason of VMM_FAILURE_REASONS) {
      expect(vmmStateFromRecord('failed', reason)).toEqual(failedVmmState(reason))
    }
  })

  it('reads a failed row with a NULL reason as failed(prehistoric)', () => {
    expect(vmmStateFromRecord('failed', null)).toEqual(failedVmmState('prehistoric'))
  })

  it('refuses a reason on a state other than failed (failure_reason_iff_failed)', () => {
    expect(() => vmmStateFromRecord('running', 'sled_off')).toThrow(RecordConstraintError)
    expect(() => vmmStateFromRecord('running', 'sled_off')).toThrow(/failure_reason_iff_failed/)
  })

  it('round-trips any domain runtime through the record unchanged', () => {
    fc.assert(
      fc.property(arbitraryVmmState, fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 0, max: 4e12 }), (state, gen, time) => {
        const runtime = { state, generation: generation(gen), timeUpdated: time }
        expect(vmmRuntimeFromRecord(vmmRuntimeRecordFromDomain(runtime))).toEqual(runtime)
      }),
    )
  })
})
