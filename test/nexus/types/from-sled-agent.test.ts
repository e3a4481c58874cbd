import { describe, expect, it } from 'vitest'
import { sledVmmStateFromSledAgent, vmmStateFromSledAgent } from '../../../nexus/types/from-sled-agent.ts'
import { failedVmmState, vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import * as wire from '../../../sim/sled-agent/api/index.ts'
import { expectKeysCover } from '../../support/covers.ts'

// omicron-model.md §3.4: sled-agent wire -> domain.
const WIRE_TO_DOMAIN = {
  starting: vmmState('starting'),
  running: vmmState('running'),
  stopping: vmmState('stopping'),
  stopped: vmmState('stopped'),
  rebooting: vmmState('rebooting'),
  migrating: vmmState('migrating'),
  failed: failedVmmState('from_sled_agent'),
  destroyed: vmmState('destroyed'),
} as const satisfies Record<wire.VmmState, VmmState>

const MIGRATION_ID = '0b5e4d2a-4a4c-4a8e-9d0b-3c1f2e9a7b11'

describe('vmmStateFromSledAgent', () => {
  it('maps every wire state', () => {
    expectKeysCover(WIRE_TO_DOMAIN, wire.VMM_STATES)
  })

  it.each(Object.entries(WIRE_TO_DOMAIN))('maps wire %s to %j', (state, expected) => {
    expect(vmmStateFromSledAgent(state as wire.VmmState)).toEqual(expected)
  })

  it('fails loudly on a value outside the wire enum', () => {
    expect(() => vmmStateFromSledAgent('saga_unwound' as wire.VmmState)).toThrow(/unhandled sled-agent VmmState/)
  })
})

describe('SledVmmState on the wire', () => {
  it('parses the reference example and converts it, timestamps to epoch ms', () => {
    const parsed = wire.SledVmmStateSchema.parse({
      vmm_state: { state: 'migrating', gen: 5, time_updated: '2026-08-21T10:00:00.123Z' },
      migration_in: null,
      migration_out: { migration_id: MIGRATION_ID, state: 'in_progress', gen: 2, time_updated: '2026-08-21T10:00:00.120Z' },
    })

    expect(sledVmmStateFromSledAgent(parsed)).toEqual({
      vmmState: { state: vmmState('migrating'), generation: 5, timeUpdated: Date.UTC(2026, 7, 21, 10, 0, 0, 123) },
      migrationIn: null,
      migrationOut: {
        migrationId: MIGRATION_ID,
        state: 'in_progress',
        generation: 2,
        timeUpdated: Date.UTC(2026, 7, 21, 10, 0, 0, 120),
      },
    })
  })

  it('reads absent migration fields as null, as serde does', () => {
    const parsed = wire.SledVmmStateSchema.parse({ vmm_state: { state: 'failed', gen: 9, time_updated: '2026-08-21T10:00:00Z' } })

    expect(parsed.migration_in).toBeNull()
    expect(parsed.migration_out).toBeNull()
    expect(sledVmmStateFromSledAgent(parsed).vmmState.state).toEqual(failedVmmState('from_sled_agent'))
  })

  it.each([
    ['a state only Nexus has', { vmm_state: { state: 'saga_unwound', gen: 1, time_updated: '2026-08-21T10:00:00Z' } }, 'vmm_state.state'],
    ['a negative generation', { vmm_state: { state: 'running', gen: -1, time_updated: '2026-08-21T10:00:00Z' } }, 'vmm_state.gen'],
    ['a fractional generation', { vmm_state: { state: 'running', gen: 1.5, time_updated: '2026-08-21T10:00:00Z' } }, 'vmm_state.gen'],
    ['a timestamp that is not RFC 3339', { vmm_state: { state: 'running', gen: 1, time_updated: 'yesterday' } }, 'vmm_state.time_updated'],
    ['a missing vmm_state', {}, 'vmm_state'],
    [
      'a migration id that is not a UUID',
      {
        vmm_state: { state: 'running', gen: 1, time_updated: '2026-08-21T10:00:00Z' },
        migration_in: { migration_id: 'm1', state: 'pending', gen: 1, time_updated: '2026-08-21T10:00:00Z' },
      },
      'migration_in.migration_id',
    ],
    [
      'an unknown migration state',
      {
        vmm_state: { state: 'running', gen: 1, time_updated: '2026-08-21T10:00:00Z' },
        migration_out: { migration_id: MIGRATION_ID, state: 'done', gen: 1, time_updated: '2026-08-21T10:00:00Z' },
      },
      'migration_out.state',
    ],
  ])('rejects %s, naming the field at %s', (_what, body, path) => {
    const result = wire.SledVmmStateSchema.safeParse(body)

    expect(result.success).toBe(false)
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path)
  })

  it('lists every MigrationState, and the terminal sets of both enums', () => {
    expect(wire.MIGRATION_STATES).toEqual(['pending', 'in_progress', 'failed', 'completed'])
    expect(wire.TERMINAL_MIGRATION_STATES).toEqual(['completed', 'failed'])
    expect(wire.TERMINAL_VMM_STATES).toEqual(['failed', 'destroyed'])
  })
})
