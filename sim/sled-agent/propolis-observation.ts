// How the sled-agent folds what Propolis reports into its `SledVmmState`: the state mapping, the
// migration bookkeeping, the generation rules, and the forced and synthetic transitions.
// Mirrors: omicron sled-agent/src/common/instance.rs@b848b6d (`apply_propolis_observation`).
import { assertNever } from '../kernel/assert-never.ts'
import type { PropolisInstanceState, PropolisMigrationPhase, PropolisMigrationStatus, PropolisMonitorResponse } from '../propolis/types.ts'
import {
  nextGeneration,
  TERMINAL_MIGRATION_STATES,
  TERMINAL_VMM_STATES,
  type Generation,
  type MigrationRuntimeState,
  type MigrationState,
  type SledVmmState,
  type VmmState,
} from './api/index.ts'

/** Propolis `InstanceState` -> sled-agent `VmmState`. */
export function vmmStateFromPropolis(state: PropolisInstanceState): VmmState {
  switch (state) {
    // Externally, creating the VM's objects counts as starting it.
    case 'Creating':
    case 'Starting':
      return 'starting'
    case 'Running':
      return 'running'
    case 'Stopping':
      return 'stopping'
    // The VM cannot be restarted until it is Destroyed, so Stopped is shown as still stopping.
    case 'Stopped':
      return 'stopping'
    case 'Rebooting':
      return 'rebooting'
    case 'Migrating':
      return 'migrating'
    // Reserved by RFD 315 and never published; program defensively, as the sled-agent does.
    case 'Repairing':
      return 'running'
    case 'Failed':
      return 'failed'
    case 'Destroyed':
      return 'destroyed'
    default:
      return assertNever(state, 'Propolis InstanceState')
  }
}

/** Propolis migration phase -> sled-agent `MigrationState`: only Error and Finish are distinguished. */
export function migrationStateFromPropolis(phase: PropolisMigrationPhase): MigrationState {
  switch (phase) {
    case 'Error':
      return 'failed'
    case 'Finish':
      return 'completed'
    case 'Sync':
    case 'RamPush':
    case 'Pause':
    case 'RamPushDirty':
    case 'Device':
    case 'Resume':
    case 'RamPull':
    case 'Server':
      return 'in_progress'
    default:
      return assertNever(phase, 'Propolis MigrationState')
  }
}

export function isHalted(state: VmmState): boolean {
  return (TERMINAL_VMM_STATES as readonly VmmState[]).includes(state)
}

// A migration the sled-agent first hears of starts at gen 2, so that it beats the gen-1 row Nexus
// wrote when it created the migration record.
const FIRST_REPORTED_MIGRATION_GEN = 2 as Generation

function foldMigration(current: MigrationRuntimeState | null, observed: PropolisMigrationStatus | null, now: string): MigrationRuntimeState | null {
  if (observed === null) return current
  const state = migrationStateFromPropolis(observed.state)
  if (current === null || current.migration_id !== observed.id) {
    return { migration_id: observed.id, state, gen: FIRST_REPORTED_MIGRATION_GEN, time_updated: now }
  }
  if (current.state === state) return current
  return { ...current, state, gen: nextGeneration(current.gen), time_updated: now }
}

function failUnfinished(migration: MigrationRuntimeState | null, now: string): MigrationRuntimeState | null {
  if (migration === null || (TERMINAL_MIGRATION_STATES as readonly MigrationState[]).includes(migration.state)) return migration
  return { ...migration, state: 'failed', gen: nextGeneration(migration.gen), time_updated: now }
}

function withVmmState(current: SledVmmState, state: VmmState, now: string): SledVmmState['vmm_state'] {
  return { state, gen: nextGeneration(current.vmm_state.gen), time_updated: now }
}

// Every observation bumps the VMM generation, even when the state is unchanged; a halted VMM fails
// any migration that has not finished.
function observe(
  current: SledVmmState,
  state: VmmState,
  migrationIn: PropolisMigrationStatus | null,
  migrationOut: PropolisMigrationStatus | null,
  now: string,
): SledVmmState {
  const folded: SledVmmState = {
    vmm_state: withVmmState(current, state, now),
    migration_in: foldMigration(current.migration_in, migrationIn, now),
    migration_out: foldMigration(current.migration_out, migrationOut, now),
  }
  if (!isHalted(state)) return folded
  return { ...folded, migration_in: failUnfinished(folded.migration_in, now), migration_out: failUnfinished(folded.migration_out, now) }
}

/** Folds one Propolis monitor response observed at `now` (RFC 3339). */
export function applyPropolisObservation(current: SledVmmState, observed: PropolisMonitorResponse, now: string): SledVmmState {
  return observe(current, vmmStateFromPropolis(observed.state), observed.migration.migration_in, observed.migration.migration_out, now)
}

/** A forced halt (zone gone, Propolis lost the VM, unregister, stop grace expired): an observation with no migrations. */
export function forceVmmState(current: SledVmmState, state: 'failed' | 'destroyed', now: string): SledVmmState {
  return observe(current, state, null, null, now)
}

/** The sled-agent's own publish after Propolis accepted a Stop or Reboot: state and gen only. */
export function syntheticVmmState(current: SledVmmState, state: 'stopping' | 'rebooting', now: string): SledVmmState {
  return { ...current, vmm_state: withVmmState(current, state, now) }
}
