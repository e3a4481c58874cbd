import { describe, expect, it } from 'vitest'
import { effectiveInstanceState, type EffectiveStateRule } from '../../../nexus/types/effective-instance-state.ts'
import { INSTANCE_RECORD_STATES, type InstanceRecordState, type InstanceState } from '../../../nexus/types/instance-state.ts'
import type { VmmRecordState } from '../../../nexus/types/vmm-record.ts'
import { VMM_STATE_LABELS } from '../../../nexus/types/vmm-state.ts'
import { typedUuid } from '../../../sim/kernel/ids.ts'
import { expectKeysCover } from '../../support/covers.ts'

type Cell = readonly [InstanceState, EffectiveStateRule]
type Row = Record<VmmRecordState | 'none', Cell>

const MIGRATION = typedUuid('migration', '0b5e4d2a-4a4c-4a8e-9d0b-3c1f2e9a7b11')

// Rules 13 and 14: the record's own state, whether or not a VMM row (impossibly) exists.
function recordStateWins(state: 'creating' | 'failed' | 'destroyed'): Row {
  const row: Partial<Row> = { none: [state, 13] }
  for (const vmm of VMM_STATE_LABELS) row[vmm] = [state, 14]
  return row as Row
}

// omicron-model.md §4.7, with migration_id NULL: every instance record state against every active
// VMM state (or none). Each cell is [run_state, rule].
const WITHOUT_MIGRATION = {
  vmm: {
    none: ['stopped', 11],
    creating: ['starting', 5],
    starting: ['starting', 5],
    running: ['running', 6],
    stopping: ['stopping', 7],
    stopped: ['stopping', 2],
    rebooting: ['rebooting', 8],
    migrating: ['migrating', 9],
    failed: ['stopping', 3],
    destroyed: ['stopping', 2],
    saga_unwound: ['failed', 4],
  },
  no_vmm: {
    none: ['stopped', 10],
    creating: ['stopped', 12],
    starting: ['stopped', 12],
    running: ['stopped', 12],
    stopping: ['stopped', 12],
    stopped: ['stopped', 12],
    rebooting: ['stopped', 12],
    migrating: ['stopped', 12],
    failed: ['stopped', 12],
    destroyed: ['stopped', 12],
    saga_unwound: ['stopped', 12],
  },
  creating: recordStateWins('creating'),
  failed: recordStateWins('failed'),
  destroyed: recordStateWins('destroyed'),
} satisfies Record<InstanceRecordState, Row>

const input = (instance: InstanceRecordState, vmm: VmmRecordState | 'none', migrating: boolean, timeDeleted: number | null = null) => ({
  instance: { state: instance, migrationId: migrating ? MIGRATION : null },
  activeVmm: vmm === 'none' ? null : { state: vmm, timeDeleted },
})

const cells = Object.entries(WITHOUT_MIGRATION).flatMap(([instance, row]) =>
  Object.entries(row).map(([vmm, cell]) => [instance as InstanceRecordState, vmm as VmmRecordState | 'none', cell] as const),
)

describe('effectiveInstanceState', () => {
  it('has a row for every instance record state and a cell for every VMM state and none', () => {
    expectKeysCover(WITHOUT_MIGRATION, INSTANCE_RECORD_STATES)
    for (const row of Object.values(WITHOUT_MIGRATION)) expectKeysCover(row, [...VMM_STATE_LABELS, 'none'])
  })

  it.each(cells)('instance %s with active VMM %s reads as %j', (instance, vmm, [runState, rule]) => {
    expect(effectiveInstanceState(input(instance, vmm, false))).toEqual({
      runState,
      rule,
      consistent: rule !== 11 && rule !== 12 && rule !== 14,
    })
  })

  it.each(VMM_STATE_LABELS)('reads migrating for a vmm instance with a migration id, whatever its VMM is (%s)', (vmm) => {
    expect(effectiveInstanceState(input('vmm', vmm, true))).toEqual({ runState: 'migrating', rule: 1, consistent: true })
  })

  it.each(cells.filter(([instance, vmm]) => instance !== 'vmm' || vmm === 'none'))(
    'ignores the migration id when rule 1 cannot apply: instance %s, VMM %s',
    (instance, vmm, [runState, rule]) => {
      expect(effectiveInstanceState(input(instance, vmm, true))).toMatchObject({ runState, rule })
    },
  )

  it('treats a soft-deleted active VMM as no VMM, as the join on time_deleted IS NULL does', () => {
    const deleted = Date.UTC(2026, 7, 21)

    expect(effectiveInstanceState(input('vmm', 'running', false, deleted))).toEqual({ runState: 'stopped', rule: 11, consistent: false })
    expect(effectiveInstanceState(input('vmm', 'running', true, deleted))).toMatchObject({ runState: 'stopped', rule: 11 })
    expect(effectiveInstanceState(input('no_vmm', 'destroyed', false, deleted))).toEqual({ runState: 'stopped', rule: 10, consistent: true })
  })

  it('never produces repairing, and produces destroyed only for a destroyed record', () => {
    const produced = cells.map(([instance, vmm]) => [instance, effectiveInstanceState(input(instance, vmm, false)).runState] as const)

    expect(produced.filter(([, s]) => s === 'repairing')).toEqual([])
    expect(new Set(produced.filter(([, s]) => s === 'destroyed').map(([i]) => i))).toEqual(new Set(['destroyed']))
  })
})
