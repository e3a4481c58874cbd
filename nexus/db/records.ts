// The rows of the Nexus datastore: one flat, camelCase record per table, mirroring the columns of
// omicron's schema. Records are plain readonly data; only the queries in `nexus/db/` create them.
// Mirrors: omicron schema/crdb/dbinit.sql and nexus/db-model/src/{instance,vmm,migration}.rs@b848b6d.
import type {
  AffinityGroupUuid,
  AntiAffinityGroupUuid,
  InstanceUuid,
  MigrationUuid,
  ProjectUuid,
  PropolisUuid,
  ShortId,
  SledUuid,
  UpdaterUuid,
} from '../../sim/kernel/ids.ts'
import type { Generation, MigrationState } from '../../sim/sled-agent/api/index.ts'
import type { InstanceRecordState } from '../types/instance-state.ts'
import type { AutoRestartPolicy } from '../types/instance-view.ts'
import type { VmmRuntimeRecord } from '../types/vmm-record.ts'
import type { EpochMillis } from '../types/vmm-runtime-state.ts'

/** SQL enum `instance_intended_state`: what the user (or the update saga) last asked for. */
export const INSTANCE_INTENDED_STATES = ['running', 'stopped', 'guest_shutdown', 'destroyed'] as const
export type InstanceIntendedState = (typeof INSTANCE_INTENDED_STATES)[number]

/** SQL enum `instance_cpu_platform` (nullable on the instance: NULL lets the sled decide). */
export type InstanceCpuPlatform = 'amd_milan' | 'amd_turin'
/** SQL enum `vmm_cpu_platform`. */
export type VmmCpuPlatform = 'sled_default' | 'amd_milan' | 'amd_turin' | 'amd_turin_v2'
/** SQL enum `sled_cpu_family`. */
export type SledCpuFamily = 'unknown' | 'amd_milan' | 'amd_turin' | 'amd_turin_v2'

/** The default Propolis port of every VMM row. */
export const DEFAULT_PROPOLIS_PORT = 12400

/** The columns guarded by `state_generation` (omicron's `InstanceRuntimeState`). */
export interface InstanceRuntime {
  readonly state: InstanceRecordState
  /** `state_generation`: a write lands only if the stored value is strictly lower. */
  readonly gen: Generation
  readonly timeStateUpdated: EpochMillis
  /** The active VMM; non-null exactly when `state` is `vmm` (`vmm_iff_active_propolis`). */
  readonly activePropolisId: PropolisUuid | null
  /** The migration target VMM (Rust `dst_propolis_id`). */
  readonly targetPropolisId: PropolisUuid | null
  readonly migrationId: MigrationUuid | null
  readonly timeLastAutoRestarted: EpochMillis | null
}

/** A row of `instance`. */
export interface InstanceRecord extends InstanceRuntime {
  readonly id: InstanceUuid
  readonly name: string
  readonly description: string
  readonly projectId: ProjectUuid
  readonly ncpus: number
  /** Guest memory in bytes. */
  readonly memory: number
  readonly hostname: string
  /** The instance-updater lock holder; NULL means unlocked. */
  readonly updaterId: UpdaterUuid | null
  /** Bumped on every lock, inheritance and unlock. */
  readonly updaterGen: Generation
  readonly intendedState: InstanceIntendedState
  /** NULL means the default, `best_effort`. */
  readonly autoRestartPolicy: AutoRestartPolicy | null
  /** NULL means the default cooldown of 5 minutes. */
  readonly autoRestartCooldownMs: number | null
  readonly cpuPlatform: InstanceCpuPlatform | null
  readonly timeCreated: EpochMillis
  /** Also bumped when `intendedState` changes. */
  readonly timeModified: EpochMillis
  readonly timeDeleted: EpochMillis | null
  /**
   * Why the instance's last start saga failed, when `recordStartFailures` is on (omicron#9185 asks
   * for this; omicron has no such column). Absent until a start first fails; removed again by the
   * next successful start.
   */
  readonly startFailure?: StartFailureRecord
}

/** Why a start saga runs (omicron's `instance_start::Reason`): the start API, create with `start: true`, or reincarnation. */
export const START_REASONS = ['user', 'auto_start', 'auto_restart'] as const
export type StartReason = (typeof START_REASONS)[number]

/** What `recordStartFailures` keeps about a failed start saga. */
export interface StartFailureRecord {
  /** The start saga that failed. */
  readonly sagaId: ShortId
  /** Why that start ran: for a user's request, in the background after create, or for auto-restart. */
  readonly reason: StartReason
  /** The node whose action failed. */
  readonly failedNode: string
  /** The HTTP status a waiting caller got (or would have got); null when only the saga log's text survives. */
  readonly statusCode: number | null
  readonly errorCode: string | null
  /** The external message, as the API caller sees it. */
  readonly message: string
  /** What Nexus logs: the internal message, or the saga log's error text. */
  readonly detail: string
  /** Virtual time of the failure. */
  readonly time: EpochMillis
}

/** A row of `vmm`: identity columns plus the runtime columns of `VmmRuntimeRecord`. */
export interface VmmRecord extends VmmRuntimeRecord {
  /** The Propolis id. */
  readonly id: PropolisUuid
  /** Fixed for life. */
  readonly instanceId: InstanceUuid
  /** Fixed for life. */
  readonly sledId: SledUuid
  readonly propolisIp: string
  readonly propolisPort: number
  readonly cpuPlatform: VmmCpuPlatform
  readonly timeCreated: EpochMillis
  /** Soft delete; only ever set while the state is destroyable. */
  readonly timeDeleted: EpochMillis | null
}

/** A row of `migration`. Each side is owned by its own sled-agent and has its own generation. */
export interface MigrationRecord {
  readonly id: MigrationUuid
  readonly instanceId: InstanceUuid
  readonly sourcePropolisId: PropolisUuid
  readonly targetPropolisId: PropolisUuid
  readonly sourceState: MigrationState
  readonly sourceGen: Generation
  /** NULL until the source first reports. */
  readonly timeSourceUpdated: EpochMillis | null
  readonly targetState: MigrationState
  readonly targetGen: Generation
  /** NULL until the target first reports. */
  readonly timeTargetUpdated: EpochMillis | null
  readonly timeCreated: EpochMillis
  readonly timeDeleted: EpochMillis | null
}

/** SQL enum `sled_policy`: only `in_service` sleds take new VMMs; `expunged` is for ever. */
export type SledPolicy = 'in_service' | 'no_provision' | 'expunged'

/** A row of `sled`, reduced to what placement and the instance watcher read. */
// Simplification: no `sled_state`, `time_deleted`, address, usable physical RAM or baseboard; the
// sled-agent's URL comes from the sled's name.
export interface SledRecord {
  readonly id: SledUuid
  readonly name: string
  readonly policy: SledPolicy
  /** `usable_hardware_threads`. */
  readonly hardwareThreads: number
  /** `reservoir_size`, bytes. */
  readonly reservoirBytes: number
  readonly cpuFamily: SledCpuFamily
  readonly timeCreated: EpochMillis
}

/** `sled_resource_vmm.state`: why the reservation exists. */
export const SLED_RESERVATION_STATES = ['active', 'target', 'tombstoned'] as const
export type SledReservationState = (typeof SLED_RESERVATION_STATES)[number]

/** A row of `sled_resource_vmm`. */
export interface SledReservationRecord {
  /** The Propolis id of the VMM the resources are held for. */
  readonly id: PropolisUuid
  readonly sledId: SledUuid
  readonly instanceId: InstanceUuid
  readonly hardwareThreads: number
  /** Guest memory, bytes. */
  // Simplification: no `rss_ram` column; omicron always writes 0 there for VMMs.
  readonly reservoirRam: number
  /** `active` for a start, `target` for a migration target, `tombstoned` for a migrated-away source. */
  readonly state: SledReservationState
}

/** Which of omicron's two group tables a group lives in: `affinity_group` or `anti_affinity_group`. */
export const AFFINITY_GROUP_KINDS = ['affinity', 'anti_affinity'] as const
export type AffinityGroupKind = (typeof AFFINITY_GROUP_KINDS)[number]

/** SQL enum `affinity_policy`: what placement does when the group's wish cannot be met. */
export const AFFINITY_POLICIES = ['allow', 'fail'] as const
export type AffinityPolicy = (typeof AFFINITY_POLICIES)[number]

/** SQL enum `failure_domain`: omicron has only `sled`. */
export type FailureDomain = 'sled'

/** A group's id: `AffinityGroupUuid` or `AntiAffinityGroupUuid` by its kind. */
export type AffinityGroupId<K extends AffinityGroupKind = AffinityGroupKind> = K extends 'affinity' ? AffinityGroupUuid : AntiAffinityGroupUuid

/** A row of `affinity_group` or `anti_affinity_group` (the two tables have the same columns). */
export interface AffinityGroupRecord<K extends AffinityGroupKind = AffinityGroupKind> {
  readonly kind: K
  readonly id: AffinityGroupId<K>
  /** Unique among the live groups of its kind in the project. */
  readonly name: string
  readonly description: string
  readonly projectId: ProjectUuid
  readonly policy: AffinityPolicy
  readonly failureDomain: FailureDomain
  readonly timeCreated: EpochMillis
  readonly timeModified: EpochMillis
  // Simplification: groups are never updated or deleted in the testbed, so `time_deleted` is always NULL.
  readonly timeDeleted: EpochMillis | null
}

/** A row of `affinity_group_instance_membership` or `anti_affinity_group_instance_membership`. */
export interface AffinityMembershipRecord<K extends AffinityGroupKind = AffinityGroupKind> {
  readonly kind: K
  readonly groupId: AffinityGroupId<K>
  readonly instanceId: InstanceUuid
}

/** What a provisioning row or collection holds. */
export interface ProvisionedResources {
  readonly cpus: number
  /** Bytes. */
  readonly ram: number
}

/** A row of `virtual_provisioning_resource` for an instance. */
export interface InstanceProvisioningRecord extends ProvisionedResources {
  readonly instanceId: InstanceUuid
  readonly projectId: ProjectUuid
}

/** A row of `virtual_provisioning_collection` for a project. */
export interface ProjectProvisioningRecord extends ProvisionedResources {
  readonly projectId: ProjectUuid
}

/** Any JSON value; saga params and node outputs are stored as JSON, as steno stores them. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

export const SAGA_STATES = ['running', 'succeeded', 'unwound', 'stuck'] as const
/** `running` covers unwinding too: a saga leaves it only when it has finished one way or the other. */
export type SagaState = (typeof SAGA_STATES)[number]

/** One entry of a saga's append-only node log. */
export type SagaNodeEvent =
  | { readonly kind: 'started'; readonly node: string; readonly time: EpochMillis }
  | { readonly kind: 'succeeded'; readonly node: string; readonly output: JsonValue; readonly time: EpochMillis }
  | { readonly kind: 'failed'; readonly node: string; readonly error: string; readonly time: EpochMillis }
  | { readonly kind: 'undo_started'; readonly node: string; readonly time: EpochMillis }
  | { readonly kind: 'undo_finished'; readonly node: string; readonly time: EpochMillis }
  | { readonly kind: 'undo_failed'; readonly node: string; readonly error: string; readonly time: EpochMillis }

export type SagaNodeEventKind = SagaNodeEvent['kind']

/** A row of the saga table with its node log. */
export interface SagaRecord {
  readonly id: ShortId
  readonly name: string
  readonly params: JsonValue
  readonly state: SagaState
  /** The forward node whose failure made the saga unwind (`unwound` and `stuck`). */
  readonly failedNode: string | null
  /** The undo that failed and left the saga `stuck`. */
  readonly undoFailedNode: string | null
  readonly timeCreated: EpochMillis
  readonly timeFinished: EpochMillis | null
  readonly events: readonly SagaNodeEvent[]
}

/** The runtime columns of an instance row, for building the next runtime of a guarded write. */
export function instanceRuntimeOf(instance: InstanceRuntime): InstanceRuntime {
  return {
    state: instance.state,
    gen: instance.gen,
    timeStateUpdated: instance.timeStateUpdated,
    activePropolisId: instance.activePropolisId,
    targetPropolisId: instance.targetPropolisId,
    migrationId: instance.migrationId,
    timeLastAutoRestarted: instance.timeLastAutoRestarted,
  }
}
