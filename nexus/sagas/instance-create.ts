// The instance-create saga: insert the instance (`creating`, gen 1), add it to the anti-affinity (and
// affinity) groups the create named and, last, move it to `no_vmm` (gen + 1). Unwinding deletes the
// record, and with it the memberships. With `start: true`, `instanceCreate` then starts the
// instance with reason `auto_start`; a failed start is only traced (and, with `recordStartFailures`,
// recorded on the instance): the create itself succeeded.
// Mirrors: omicron nexus/src/app/sagas/instance_create.rs and instance.rs (`project_create_instance`)@b848b6d.
// Simplification: the NIC, external IP, disk, SSH key, boot disk and multicast nodes are left out (the testbed has none of those resources), and the create params are not validated
// (vCPU count, memory size and alignment, hostname).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { AffinityGroupUuid, AntiAffinityGroupUuid, IdSource, InstanceUuid, ProjectUuid } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import { nextGeneration } from '../../sim/sled-agent/api/index.ts'
import { memberAddError, resolveCreateGroups, type InstanceAffinityRequest } from '../app/affinity-groups.ts'
import { internalError, NexusApiError, objectAlreadyExists } from '../app/errors.ts'
import type { Datastore } from '../db/datastore.ts'
import { instanceRuntimeOf, type InstanceCpuPlatform, type InstanceRecord } from '../db/records.ts'
import type { AutoRestartPolicy } from '../types/instance-view.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaDef, SagaStarter } from './saga-types.ts'
import { instanceStart, type InstanceStartResult } from './start-instance.ts'

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** The start after a create with `start: true` failed; the create still succeeded (omicron only logs it). */
    'nexus.auto_start_failed': { readonly instance: string; readonly status: number; readonly message: string }
  }
}

export interface InstanceCreateParams {
  /** Drawn before the saga (omicron's constant `instance_id` node), so a replay inserts the same row. */
  readonly instanceId: InstanceUuid
  readonly projectId: ProjectUuid
  readonly name: string
  readonly description: string
  readonly hostname: string
  readonly ncpus: number
  /** Bytes. */
  readonly memory: number
  /** Sets the intent: `running` with `start: true`, else `stopped`. */
  readonly start: boolean
  /** Null: the default, `best_effort`. */
  readonly autoRestartPolicy: AutoRestartPolicy | null
  /** Null: the default, 5 minutes. */
  readonly autoRestartCooldownMs: number | null
  /** Null: the VMM gets its sled's minimum compatible platform. */
  readonly cpuPlatform: InstanceCpuPlatform | null
  /** The anti-affinity groups to join (`anti_affinity_groups`, resolved to ids before the saga). */
  readonly antiAffinityGroupIds: readonly AntiAffinityGroupUuid[]
  /** The affinity groups to join: a testbed convenience, omicron's create has no such field. */
  readonly affinityGroupIds: readonly AffinityGroupUuid[]
}

export interface InstanceCreateOutputs {
  /** The row as inserted. */
  readonly 'create-instance-record': InstanceRecord
  /** How many memberships the node added. */
  readonly 'add-to-affinity-groups': number
  readonly 'move-to-stopped': null
}

type Ctx = SagaContext<InstanceCreateParams, InstanceCreateOutputs, NexusSagaServices>

export const instanceCreateSaga: SagaDef<InstanceCreateParams, InstanceCreateOutputs, NexusSagaServices> = {
  name: 'instance_create',
  instanceOf: (params) => params.instanceId,
  nodes: [
    { name: 'create-instance-record', action: createInstanceRecord, undo: deleteInstanceRecord },
    // No undo, as omicron's ADD_TO_ANTI_AFFINITY_GROUP: deleting the instance record deletes its memberships.
    { name: 'add-to-affinity-groups', action: addToAffinityGroups, undo: null },
    // Last, and no undo: once the instance is `no_vmm` the saga has nothing left that can fail.
    { name: 'move-to-stopped', action: moveToStopped, undo: null },
  ],
}

/** Inserts the row in `creating`, gen 1; a live instance with the name is 400 ObjectAlreadyExists. */
async function createInstanceRecord(ctx: Ctx): Promise<InstanceRecord> {
  await Promise.resolve()
  const p = ctx.params
  const outcome = ctx.services.db.instanceInsert({
    id: p.instanceId,
    name: p.name,
    description: p.description,
    projectId: p.projectId,
    ncpus: p.ncpus,
    memory: p.memory,
    hostname: p.hostname,
    intendedState: p.start ? 'running' : 'stopped',
    autoRestartPolicy: p.autoRestartPolicy,
    autoRestartCooldownMs: p.autoRestartCooldownMs,
    cpuPlatform: p.cpuPlatform,
  })
  switch (outcome.kind) {
    case 'inserted':
      return outcome.instance
    case 'name_in_use':
      throw objectAlreadyExists('instance', p.name)
    default:
      return assertNever(outcome, 'instance insert outcome')
  }
}

/** Deletes the record straight from `creating` (never through `no_vmm` or `failed`, which a start or an auto-restart could seize). */
async function deleteInstanceRecord(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  ctx.services.db.instanceDeleteCreating(ctx.params.instanceId)
}

/**
 * Adds the new instance to each named group, anti-affinity first (omicron's ADD_TO_ANTI_AFFINITY_GROUP,
 * one per group). A membership already there is this node replayed. A refusal (a full group, say)
 * fails the node with the member-add error, and the create unwinds.
 */
async function addToAffinityGroups(ctx: Ctx): Promise<number> {
  await Promise.resolve()
  const { db } = ctx.services
  const { instanceId, antiAffinityGroupIds, affinityGroupIds } = ctx.params
  const wanted = [...antiAffinityGroupIds.map((id) => ['anti_affinity', id] as const), ...affinityGroupIds.map((id) => ['affinity', id] as const)]
  let added = 0
  for (const [kind, groupId] of wanted) {
    const outcome = db.affinityGroupMemberAdd(kind, groupId, instanceId)
    if (outcome.kind === 'added') added += 1
    else if (outcome.kind !== 'already_member') throw memberAddError(kind, groupId, instanceId, outcome)
  }
  return added
}

/** `no_vmm`, gen + 1 over the inserted row; a replay (or any other writer first) is silently stale. */
async function moveToStopped(ctx: Ctx): Promise<null> {
  await Promise.resolve()
  const inserted = ctx.output('create-instance-record')
  ctx.services.db.instanceUpdateRuntime(inserted.id, {
    ...instanceRuntimeOf(inserted),
    state: 'no_vmm',
    gen: nextGeneration(inserted.gen),
    timeStateUpdated: ctx.clock.now(),
  })
  return null
}

export interface InstanceCreateDeps {
  readonly db: Datastore
  /** Draws the instance id. */
  readonly ids: IdSource
  readonly trace: Trace
  readonly projectId: ProjectUuid
  readonly sagas: SagaStarter<NexusSagaServices>
}

/** What `tb.nexus.instanceCreate` takes. */
export interface InstanceCreateRequest {
  readonly name: string
  readonly ncpus: number
  /** Bytes. */
  readonly memory: number
  /** Default: the name. */
  readonly hostname?: string
  readonly description?: string
  /** Default false. */
  readonly start?: boolean
  readonly autoRestartPolicy?: AutoRestartPolicy | null
  readonly autoRestartCooldownMs?: number | null
  readonly cpuPlatform?: InstanceCpuPlatform | null
  /** Groups to join; they must exist (404 otherwise, before anything is created). */
  readonly affinity?: InstanceAffinityRequest
}

export interface InstanceCreateResult {
  /** The instance as it is once create (and any start) returned. */
  readonly instance: InstanceRecord
  /** Null without `start: true`; else how the start went (its error is swallowed, as omicron's). */
  readonly start: InstanceStartResult | { readonly kind: 'failed'; readonly error: NexusApiError } | null
}

/**
 * `project_create_instance`: looks up the groups it names (404 for an unknown one), runs
 * instance-create, and throws its failed node's error (400 for a name in use or a refused membership). With `start: true`, then runs `instanceStart(…, 'auto_start')` and waits for it.
 */
export async function instanceCreate(deps: InstanceCreateDeps, request: InstanceCreateRequest): Promise<InstanceCreateResult> {
  const params: InstanceCreateParams = {
    instanceId: deps.ids.uuid('instance'),
    projectId: deps.projectId,
    name: request.name,
    description: request.description ?? '',
    hostname: request.hostname ?? request.name,
    ncpus: request.ncpus,
    memory: request.memory,
    start: request.start ?? false,
    autoRestartPolicy: request.autoRestartPolicy ?? null,
    autoRestartCooldownMs: request.autoRestartCooldownMs ?? null,
    cpuPlatform: request.cpuPlatform ?? null,
    antiAffinityGroupIds: resolveCreateGroups(deps.db, deps.projectId, 'anti_affinity', request.affinity?.antiAffinityGroups ?? []),
    affinityGroupIds: resolveCreateGroups(deps.db, deps.projectId, 'affinity', request.affinity?.affinityGroups ?? []),
  }
  const outcome = await deps.sagas.run(instanceCreateSaga, params)
  if (outcome.kind !== 'succeeded') throw outcome.error.apiError ?? internalError(outcome.error.message)
  const start = params.start ? await autoStart(deps, params.instanceId) : null
  const instance = deps.db.instanceGet(params.instanceId, { includeDeleted: true })
  if (instance === null) throw internalError(`instance create: instance ${params.instanceId} vanished`)
  return { instance, start }
}

// There is a window in which the new instance is stopped and may be deleted or started by someone
// else, so the start may fail; that must not fail the create.
async function autoStart(deps: InstanceCreateDeps, instanceId: InstanceUuid): Promise<InstanceCreateResult['start']> {
  try {
    return await instanceStart(deps, instanceId, 'auto_start')
  } catch (error) {
    if (!(error instanceof NexusApiError)) throw error
    deps.trace.record('nexus.auto_start_failed', { instance: instanceId, status: error.statusCode, message: error.message })
    return { kind: 'failed', error }
  }
}
