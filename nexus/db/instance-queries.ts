// Instance rows: insert, lookups (alone, with the active VMM, or with every record that describes
// its state), the generation-guarded runtime write, and the intended-state write.
// Mirrors: omicron nexus/db-queries/src/db/datastore/instance.rs@b848b6d.
import type { InstanceUuid, ProjectUuid } from '../../sim/kernel/ids.ts'
import { INITIAL_GENERATION, isNewerGeneration } from '../../sim/sled-agent/api/index.ts'
import type { AutoRestartPolicy } from '../types/instance-view.ts'
import { DatastoreError } from './datastore-error.ts'
import type { InstanceCpuPlatform, InstanceIntendedState, InstanceRecord, InstanceRuntime, MigrationRecord, VmmRecord } from './records.ts'
import type { Tables } from './tables.ts'

/** What `instance-create` knows when it inserts the row. */
export interface InstanceInsertParams {
  readonly id: InstanceUuid
  readonly name: string
  /** Default `''`. */
  readonly description?: string
  readonly projectId: ProjectUuid
  readonly ncpus: number
  /** Bytes. */
  readonly memory: number
  readonly hostname: string
  /** `running` when created with `start: true`, else `stopped`. */
  readonly intendedState: InstanceIntendedState
  /** Default NULL (= `best_effort`). */
  readonly autoRestartPolicy?: AutoRestartPolicy | null
  /** Default NULL (= 5 minutes). */
  readonly autoRestartCooldownMs?: number | null
  /** Default NULL. */
  readonly cpuPlatform?: InstanceCpuPlatform | null
}

export type InstanceInsertOutcome =
  /** The new row, or (idempotent replay) the row already inserted with this id. */
  | { readonly kind: 'inserted'; readonly instance: InstanceRecord }
  /** Another live instance in the project has the name: omicron's 400 ObjectAlreadyExists. */
  | { readonly kind: 'name_in_use'; readonly message: string }

/** Inserts the row in `creating` with generation 1; idempotent on id while the row is still `creating`. */
export function instanceInsert(t: Tables, params: InstanceInsertParams): InstanceInsertOutcome {
  const existing = t.instances.get(params.id)
  if (existing !== undefined) {
    // A replayed create-saga action finds its own row; anything past `creating` means the caller
    // is confused about what happened, as omicron's `bail_unless!` says.
    if (existing.state !== 'creating') {
      throw new DatastoreError('internal', `instance insert failed: instance exists in state '${existing.state}' (instance ${params.id})`)
    }
    return { kind: 'inserted', instance: { ...existing } }
  }
  if (t.liveInstanceIdByName(params.projectId, params.name) !== undefined) {
    return { kind: 'name_in_use', message: `already exists: instance "${params.name}"` }
  }
  const now = t.now()
  const row: InstanceRecord = {
    id: params.id,
    name: params.name,
    description: params.description ?? '',
    projectId: params.projectId,
    ncpus: params.ncpus,
    memory: params.memory,
    hostname: params.hostname,
    state: 'creating',
    gen: INITIAL_GENERATION,
    timeStateUpdated: now,
    activePropolisId: null,
    targetPropolisId: null,
    migrationId: null,
    updaterId: null,
    updaterGen: INITIAL_GENERATION,
    intendedState: params.intendedState,
    autoRestartPolicy: params.autoRestartPolicy ?? null,
    autoRestartCooldownMs: params.autoRestartCooldownMs ?? null,
    timeLastAutoRestarted: null,
    cpuPlatform: params.cpuPlatform ?? null,
    timeCreated: now,
    timeModified: now,
    timeDeleted: null,
  }
  return { kind: 'inserted', instance: { ...t.putInstance(row, 'insert') } }
}

export interface IncludeDeleted {
  /** Also return soft-deleted rows. Default false, as omicron's lookups. */
  readonly includeDeleted?: boolean
}

export function instanceGet(t: Tables, instanceId: InstanceUuid, options: IncludeDeleted = {}): InstanceRecord | null {
  const row = t.instances.get(instanceId)
  if (row === undefined || (row.timeDeleted !== null && options.includeDeleted !== true)) return null
  return { ...row }
}

/** The live instance with this name in the project (names are unique among live instances). */
export function instanceGetByName(t: Tables, projectId: ProjectUuid, name: string): InstanceRecord | null {
  const id = t.liveInstanceIdByName(projectId, name)
  const row = id === undefined ? undefined : t.instances.get(id)
  return row === undefined ? null : { ...row }
}

export interface InstanceListFilter extends IncludeDeleted {
  readonly projectId?: ProjectUuid
}

/** Instances in insertion order. */
export function instanceList(t: Tables, filter: InstanceListFilter = {}): InstanceRecord[] {
  const rows: InstanceRecord[] = []
  for (const row of t.instances.values()) {
    if (row.timeDeleted !== null && filter.includeDeleted !== true) continue
    if (filter.projectId !== undefined && row.projectId !== filter.projectId) continue
    rows.push({ ...row })
  }
  return rows
}

/** A live instance and its active VMM, joined on `active_propolis_id` and `vmm.time_deleted IS NULL`. */
export interface InstanceAndActiveVmm {
  readonly instance: InstanceRecord
  readonly vmm: VmmRecord | null
}

export function instanceFetchWithVmm(t: Tables, instanceId: InstanceUuid): InstanceAndActiveVmm | null {
  const instance = instanceGet(t, instanceId)
  if (instance === null) return null
  return { instance, vmm: liveVmm(t, instance.activePropolisId) }
}

/** Everything that describes a live instance's state, read at once (omicron's `InstanceGestalt`). */
export interface InstanceGestalt {
  readonly instance: InstanceRecord
  readonly activeVmm: VmmRecord | null
  readonly targetVmm: VmmRecord | null
  readonly migration: MigrationRecord | null
}

export function instanceFetchAll(t: Tables, instanceId: InstanceUuid): InstanceGestalt | null {
  const instance = instanceGet(t, instanceId)
  if (instance === null) return null
  const migration = instance.migrationId === null ? undefined : t.migrations.get(instance.migrationId)
  return {
    instance,
    activeVmm: liveVmm(t, instance.activePropolisId),
    targetVmm: liveVmm(t, instance.targetPropolisId),
    migration: migration === undefined || migration.timeDeleted !== null ? null : { ...migration },
  }
}

function liveVmm(t: Tables, propolisId: string | null): VmmRecord | null {
  const vmm = propolisId === null ? undefined : t.vmms.get(propolisId)
  return vmm === undefined || vmm.timeDeleted !== null ? null : { ...vmm }
}

export type InstanceUpdateOutcome =
  | { readonly kind: 'updated'; readonly instance: InstanceRecord }
  /** The stored generation is equal or newer, or the row is soft-deleted: nothing was written. */
  | { readonly kind: 'stale' }
  | { readonly kind: 'not_found' }

/**
 * Writes the runtime columns if the row is live and its stored generation is strictly lower than
 * `runtime.gen`. Callers compute `old + 1`, so concurrent writers make each other stale.
 */
export function instanceUpdateRuntime(t: Tables, instanceId: InstanceUuid, runtime: InstanceRuntime): InstanceUpdateOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined) return { kind: 'not_found' }
  // A soft-deleted row still exists, so omicron's `check_if_exists` reports "not updated": stale.
  if (row.timeDeleted !== null || !isNewerGeneration(runtime.gen, row.gen)) return { kind: 'stale' }
  return { kind: 'updated', instance: { ...t.putInstance(withRuntime(row, runtime), 'update') } }
}

/** `row` with the runtime columns of `runtime` (picked one by one, so no stray field is stored). */
export function withRuntime(row: InstanceRecord, runtime: InstanceRuntime): InstanceRecord {
  return {
    ...row,
    state: runtime.state,
    gen: runtime.gen,
    timeStateUpdated: runtime.timeStateUpdated,
    activePropolisId: runtime.activePropolisId,
    targetPropolisId: runtime.targetPropolisId,
    migrationId: runtime.migrationId,
    timeLastAutoRestarted: runtime.timeLastAutoRestarted,
  }
}

export type InstanceSetIntendedStateOutcome = { readonly kind: 'updated'; readonly instance: InstanceRecord } | { readonly kind: 'not_found' }

/** Records what the user asked for, before acting on it; not guarded by generation. */
export function instanceSetIntendedState(t: Tables, instanceId: InstanceUuid, intendedState: InstanceIntendedState): InstanceSetIntendedStateOutcome {
  const row = t.instances.get(instanceId)
  if (row === undefined || row.timeDeleted !== null) return { kind: 'not_found' }
  const updated = t.putInstance({ ...row, intendedState, timeModified: t.now() }, 'update')
  return { kind: 'updated', instance: { ...updated } }
}
