import { describe, expect, it } from 'vitest'
import { typedUuid } from '../../../sim/kernel/ids.ts'
import { PROPOLIS_INSTANCE_STATES, PROPOLIS_MIGRATION_PHASES, type PropolisMigrationPhase, type PropolisInstanceState, type PropolisMonitorResponse } from '../../../sim/propolis/types.ts'
import { generation, type MigrationState, type SledVmmState, type VmmState } from '../../../sim/sled-agent/api/index.ts'
import {
  applyPropolisObservation,
  forceVmmState,
  migrationStateFromPropolis,
  syntheticVmmState,
  vmmStateFromPropolis,
} from '../../../sim/sled-agent/propolis-observation.ts'
import { expectKeysCover } from '../../support/covers.ts'

const T0 = '2026-08-21T10:00:00.000Z'
const T1 = '2026-08-21T10:00:05.000Z'
const M1 = typedUuid('migration', '11111111-1111-4111-8111-111111111111')
const M2 = typedUuid('migration', '22222222-2222-4222-8222-222222222222')

// propolis-model.md §8.3.
const STATE_MAP = {
  Creating: 'starting',
  Starting: 'starting',
  Running: 'running',
  Stopping: 'stopping',
  Stopped: 'stopping',
  Rebooting: 'rebooting',
  Migrating: 'migrating',
  Repairing: 'running',
  Failed: 'failed',
  Destroyed: 'destroyed',
} as const satisfies Record<PropolisInstanceState, VmmState>

const PHASE_MAP = {
  Sync: 'in_progress',
  RamPush: 'in_progress',
  Pause: 'in_progress',
  RamPushDirty: 'in_progress',
  Device: 'in_progress',
  Resume: 'in_progress',
  RamPull: 'in_progress',
  Server: 'in_progress',
  Finish: 'completed',
  Error: 'failed',
} as const satisfies Record<PropolisMigrationPhase, MigrationState>

const start: SledVmmState = { vmm_state: { state: 'starting', gen: generation(2), time_updated: T0 }, migration_in: null, migration_out: null }

function observation(state: PropolisInstanceState, migrationIn: [typeof M1, PropolisMigrationPhase] | null = null, migrationOut: [typeof M1, PropolisMigrationPhase] | null = null): PropolisMonitorResponse {
  return {
    gen: 1,
    state,
    migration: {
      migration_in: migrationIn === null ? null : { id: migrationIn[0], state: migrationIn[1] },
      migration_out: migrationOut === null ? null : { id: migrationOut[0], state: migrationOut[1] },
    },
  }
}

describe('vmmStateFromPropolis', () => {
  it('maps every Propolis state', () => {
    expectKeysCover(STATE_MAP, PROPOLIS_INSTANCE_STATES)
  })

  it.each(Object.entries(STATE_MAP))('maps %s to %s', (propolis, vmm) => {
    expect(vmmStateFromPropolis(propolis as PropolisInstanceState)).toBe(vmm)
  })
})

describe('migrationStateFromPropolis', () => {
  it('maps every phase', () => {
    expectKeysCover(PHASE_MAP, PROPOLIS_MIGRATION_PHASES)
  })

  it.each(Object.entries(PHASE_MAP))('maps %s to %s', (phase, state) => {
    expect(migrationStateFromPropolis(phase as PropolisMigrationPhase)).toBe(state)
  })
})

describe('applyPropolisObservation', () => {
  it('bumps the VMM generation on every observation, even an unchanged state', () => {
    const once = applyPropolisObservation(start, observation('Creating'), T1)
    const twice = applyPropolisObservation(once, observation('Creating'), T1)

    expect(once.vmm_state).toEqual({ state: 'starting', gen: 3, time_updated: T1 })
    expect(twice.vmm_state.gen).toBe(4)
  })

  it('records a migration it first hears of at gen 2', () => {
    const next = applyPropolisObservation(start, observation('Migrating', [M1, 'Sync']), T1)

    expect(next.migration_in).toEqual({ migration_id: M1, state: 'in_progress', gen: 2, time_updated: T1 })
    expect(next.migration_out).toBeNull()
  })

  it('ignores the same migration in the same state, and bumps its gen on a new state', () => {
    const a = applyPropolisObservation(start, observation('Migrating', [M1, 'Sync']), T0)
    const b = applyPropolisObservation(a, observation('Migrating', [M1, 'RamPush']), T1)
    const c = applyPropolisObservation(b, observation('Migrating', [M1, 'Finish']), T1)

    expect(b.migration_in).toEqual(a.migration_in)
    expect(c.migration_in).toEqual({ migration_id: M1, state: 'completed', gen: 3, time_updated: T1 })
  })

  it('replaces the record with gen 2 when a different migration id appears', () => {
    const a = applyPropolisObservation(start, observation('Running', null, [M1, 'Error']), T0)
    const b = applyPropolisObservation(a, observation('Migrating', null, [M2, 'Sync']), T1)

    expect(b.migration_out).toEqual({ migration_id: M2, state: 'in_progress', gen: 2, time_updated: T1 })
  })

  it('keeps a migration record the observation does not mention', () => {
    const a = applyPropolisObservation(start, observation('Migrating', [M1, 'Finish']), T0)
    const b = applyPropolisObservation(a, observation('Running'), T1)

    expect(b.migration_in).toEqual(a.migration_in)
  })

  it('fails an unfinished migration when the VMM halts, leaving finished ones alone', () => {
    const inFlight = applyPropolisObservation(start, observation('Migrating', [M1, 'Sync'], [M2, 'Finish']), T0)
    const halted = applyPropolisObservation(inFlight, observation('Failed'), T1)

    expect(halted.vmm_state.state).toBe('failed')
    expect(halted.migration_in).toEqual({ migration_id: M1, state: 'failed', gen: 3, time_updated: T1 })
    expect(halted.migration_out).toEqual(inFlight.migration_out)
  })
})

describe('forced and synthetic states', () => {
  it('forces failed or destroyed as an observation with no migrations', () => {
    const inFlight = applyPropolisObservation(start, observation('Migrating', [M1, 'RamPush']), T0)

    const failed = forceVmmState(inFlight, 'failed', T1)
    const destroyed = forceVmmState(start, 'destroyed', T1)

    expect(failed.vmm_state).toEqual({ state: 'failed', gen: 4, time_updated: T1 })
    expect(failed.migration_in?.state).toBe('failed')
    expect(destroyed.vmm_state).toEqual({ state: 'destroyed', gen: 3, time_updated: T1 })
  })

  it('publishes stopping or rebooting with gen + 1 and leaves migrations alone', () => {
    const inFlight = applyPropolisObservation(start, observation('Running', null, [M1, 'Error']), T0)

    const stopping = syntheticVmmState(inFlight, 'stopping', T1)

    expect(stopping.vmm_state).toEqual({ state: 'stopping', gen: 4, time_updated: T1 })
    expect(stopping.migration_out).toBe(inFlight.migration_out)
  })
})
