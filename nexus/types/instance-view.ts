// The external instance view: the Oxide API's `Instance` (snake_case, as nexus-external.json) and
// the testbed's camelCase `InstanceView`, both computed from the instance record and its active VMM
// row, never from a VMM state alone. Mirrors: omicron nexus/db-queries InstanceAndActiveVmm and
// nexus/types/versions/src/initial/instance.rs@b848b6d.
import { formatIso } from '../../sim/kernel/time.ts'
import type { MigrationUuid } from '../../sim/kernel/ids.ts'
import { effectiveInstanceState } from './effective-instance-state.ts'
import type { InstanceRecordState, InstanceState } from './instance-state.ts'
import type { VmmRecordState } from './vmm-record.ts'
import type { EpochMillis } from './vmm-runtime-state.ts'

export type AutoRestartPolicy = 'never' | 'best_effort'

/** With no configured cooldown, an instance may be auto-restarted again 5 minutes after the last time. */
export const DEFAULT_AUTO_RESTART_COOLDOWN_MS = 5 * 60 * 1000

export interface InstanceViewInput {
  readonly instance: {
    readonly id: string
    readonly name: string
    readonly description: string
    readonly projectId: string
    readonly ncpus: number
    readonly memory: number
    readonly hostname: string
    readonly state: InstanceRecordState
    readonly migrationId: MigrationUuid | null
    readonly timeCreated: EpochMillis
    readonly timeModified: EpochMillis
    readonly timeStateUpdated: EpochMillis
    readonly autoRestartPolicy: AutoRestartPolicy | null
    readonly autoRestartCooldownMs: number | null
    readonly timeLastAutoRestarted: EpochMillis | null
  }
  readonly activeVmm: { readonly state: VmmRecordState; readonly timeDeleted: EpochMillis | null; readonly timeStateUpdated: EpochMillis } | null
}

/** The view the in-process API returns (DESIGN.md §4). */
export interface InstanceView {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly projectId: string
  readonly ncpus: number
  readonly memory: number
  readonly hostname: string
  readonly runState: InstanceState
  readonly timeRunStateUpdated: string
  readonly timeCreated: string
  readonly timeModified: string
  readonly autoRestartEnabled: boolean
  readonly autoRestartPolicy: AutoRestartPolicy | null
  readonly autoRestartCooldownExpiration: string | null
  readonly timeLastAutoRestarted: string | null
}

export function instanceViewFromRecords({ instance, activeVmm }: InstanceViewInput): InstanceView {
  const liveVmm = activeVmm !== null && activeVmm.timeDeleted === null ? activeVmm : null
  const { runState } = effectiveInstanceState({ instance, activeVmm })
  const cooldownMs = instance.autoRestartCooldownMs ?? DEFAULT_AUTO_RESTART_COOLDOWN_MS
  return {
    id: instance.id,
    name: instance.name,
    description: instance.description,
    projectId: instance.projectId,
    ncpus: instance.ncpus,
    memory: instance.memory,
    hostname: instance.hostname,
    runState,
    // The active VMM's time if a live one exists, else the instance's own.
    timeRunStateUpdated: formatIso(liveVmm?.timeStateUpdated ?? instance.timeStateUpdated),
    timeCreated: formatIso(instance.timeCreated),
    timeModified: formatIso(instance.timeModified),
    autoRestartEnabled: (instance.autoRestartPolicy ?? 'best_effort') !== 'never',
    autoRestartPolicy: instance.autoRestartPolicy,
    // Returned even once it has passed, although the API doc says null means "expired".
    autoRestartCooldownExpiration: instance.timeLastAutoRestarted === null ? null : formatIso(instance.timeLastAutoRestarted + cooldownMs),
    timeLastAutoRestarted: instance.timeLastAutoRestarted === null ? null : formatIso(instance.timeLastAutoRestarted),
  }
}

/** The Oxide API's `Instance` JSON. */
export function externalInstanceFromView(view: InstanceView) {
  return {
    id: view.id,
    name: view.name,
    description: view.description,
    project_id: view.projectId,
    ncpus: view.ncpus,
    memory: view.memory,
    hostname: view.hostname,
    run_state: view.runState,
    time_run_state_updated: view.timeRunStateUpdated,
    time_created: view.timeCreated,
    time_modified: view.timeModified,
    auto_restart_enabled: view.autoRestartEnabled,
    auto_restart_policy: view.autoRestartPolicy,
    auto_restart_cooldown_expiration: view.autoRestartCooldownExpiration,
    time_last_auto_restarted: view.timeLastAutoRestarted,
    boot_disk_id: null,
    cpu_platform: null,
    enable_jumbo_frames: false,
  }
}
