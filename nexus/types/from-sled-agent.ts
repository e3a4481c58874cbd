// Wire -> domain: every `SledVmmState` a sled-agent sends (upcall, pull, or the response to a
// request) enters Nexus through here. The only place in Nexus, with the sled-agent client, that
// names wire types. Mirrors: omicron nexus/types/src/instance.rs@b848b6d (`From<sled_agent::…>`).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import { parseIso } from '../../sim/kernel/time.ts'
import type * as wire from '../../sim/sled-agent/api/index.ts'
import type { MigrationRuntimeState, SledVmmState, VmmRuntimeState } from './vmm-runtime-state.ts'
import { failedVmmState, vmmState, type VmmState } from './vmm-state.ts'

export function vmmStateFromSledAgent(state: wire.VmmState): VmmState {
  switch (state) {
    // A sled-agent only says "failed"; hearing it from a sled-agent is itself the reason.
    case 'failed':
      return failedVmmState('from_sled_agent')
    case 'starting':
    case 'running':
    case 'stopping':
    case 'stopped':
    case 'rebooting':
    case 'migrating':
    case 'destroyed':
      return vmmState(state)
    default:
      return assertNever(state, 'sled-agent VmmState')
  }
}

export function vmmRuntimeFromSledAgent(runtime: wire.VmmRuntimeState): VmmRuntimeState {
  return {
    state: vmmStateFromSledAgent(runtime.state),
    generation: runtime.gen,
    timeUpdated: parseIso(runtime.time_updated),
  }
}

export function migrationRuntimeFromSledAgent(migration: wire.MigrationRuntimeState): MigrationRuntimeState {
  return {
    migrationId: migration.migration_id,
    state: migration.state,
    generation: migration.gen,
    timeUpdated: parseIso(migration.time_updated),
  }
}

export function sledVmmStateFromSledAgent(state: wire.SledVmmState): SledVmmState {
  return {
    vmmState: vmmRuntimeFromSledAgent(state.vmm_state),
    migrationIn: state.migration_in === null ? null : migrationRuntimeFromSledAgent(state.migration_in),
    migrationOut: state.migration_out === null ? null : migrationRuntimeFromSledAgent(state.migration_out),
  }
}
