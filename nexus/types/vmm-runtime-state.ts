// Domain `VmmRuntimeState` and `SledVmmState`: what Nexus knows of one VMM and of its migrations,
// in domain terms. `transitionVmmRuntime` is the one way Nexus synthesises a state, and it bumps the
// generation so nobody has to remember to. Mirrors: omicron nexus/types/src/instance.rs@b848b6d.
import type { MigrationUuid } from '../../sim/kernel/ids.ts'
import { nextGeneration, type Generation, type MigrationState } from '../../sim/sled-agent/api/index.ts'
import { vmmStatesEqual, type VmmState } from './vmm-state.ts'

/** Unix epoch ms of virtual time. */
export type EpochMillis = number

export interface VmmRuntimeState {
  readonly state: VmmState
  /** Owned by the sled-agent; Nexus bumps it only when it synthesises a state. */
  readonly generation: Generation
  readonly timeUpdated: EpochMillis
}

/** One side of a migration as a sled-agent reported it. */
export interface MigrationRuntimeState {
  readonly migrationId: MigrationUuid
  readonly state: MigrationState
  readonly generation: Generation
  readonly timeUpdated: EpochMillis
}

export interface SledVmmState {
  readonly vmmState: VmmRuntimeState
  /** The migration into this VMM, if it is a migration target. */
  readonly migrationIn: MigrationRuntimeState | null
  /** The migration out of this VMM, if it is a migration source. */
  readonly migrationOut: MigrationRuntimeState | null
}

/**
 * The runtime after moving to `newState` at `now`: unchanged when the state is equal (reason
 * included), otherwise the new state with generation + 1 and `timeUpdated = now`.
 */
// Simplification of omicron's `transition`, which reads `Utc::now()`: the time is passed in.
export function transitionVmmRuntime(runtime: VmmRuntimeState, newState: VmmState, now: EpochMillis): VmmRuntimeState {
  if (vmmStatesEqual(runtime.state, newState)) return runtime
  return { state: newState, generation: nextGeneration(runtime.generation), timeUpdated: now }
}

