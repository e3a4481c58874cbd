// The migration phases each side publishes, in order, and where an injected migration fault strikes
// in those lists. Mirrors: propolis bin/propolis-server/src/lib/migrate/{source,destination}.rs@372a574.
import type { MigrationFault, PropolisMigrationPhase } from './types.ts'

export type MigrationSide = MigrationFault['side']
export type FaultablePhase = NonNullable<MigrationFault['phase']>

/**
 * What the target publishes after the sync phase (its gen-1 `Sync` and the second `Sync` come
 * before it, while the ensure is still waiting). `Finish` follows once the source has said OK.
 */
export const TARGET_IMPORT_PHASES = [
  'RamPush',
  'Pause',
  'RamPushDirty',
  'Pause',
  'Device',
  'RamPull',
  'Server',
] as const satisfies readonly PropolisMigrationPhase[]

/**
 * What the source publishes after `Migrating` + `Sync` (one publish). The guest is paused at the
 * second `Pause`; `RamPush`, `Pause`, `RamPushDirty` after `Device` are the RAM-pull step. `Finish`
 * follows once the target is ready.
 */
export const SOURCE_EXPORT_PHASES = [
  'Sync',
  'RamPush',
  'Pause',
  'Pause',
  'RamPushDirty',
  'Pause',
  'Device',
  'RamPush',
  'Pause',
  'RamPushDirty',
  'Server',
] as const satisfies readonly PropolisMigrationPhase[]

/** Index in the source list of the RAM-pull step, which the source publishes as `RamPush`. */
const SOURCE_RAM_PULL_STEP = 7

/** A fault with no phase strikes at the first phase after `Sync`. */
export const DEFAULT_FAULT_PHASE: FaultablePhase = 'RamPush'

/** The phases one side walks through after its opening `Sync`. */
export function phasesOf(side: MigrationSide): readonly PropolisMigrationPhase[] {
  return side === 'source' ? SOURCE_EXPORT_PHASES : TARGET_IMPORT_PHASES
}

/**
 * The step of `phasesOf(side)` at which a fault at `phase` strikes (the phase's first occurrence),
 * or `'sync'` when it strikes the opening sync: the handshake on the source, the sync phase on the
 * target.
 */
export function faultStep(side: MigrationSide, phase: FaultablePhase): number | 'sync' {
  if (phase === 'Sync') return 'sync'
  // Simplification: the source never publishes RamPull; a source fault there strikes its RAM-pull step.
  if (side === 'source' && phase === 'RamPull') return SOURCE_RAM_PULL_STEP
  const step = phasesOf(side).indexOf(phase)
  if (step < 0) throw new RangeError(`migration fault failed: the ${side} never publishes ${phase}`)
  return step
}
