// The instance-start saga: place a new VMM (reservation, address, VMM row), make it the instance's
// active VMM, register it on its sled, account its virtual resources and ask it to run. It ends when
// the sled-agent accepts Run; `running` arrives later by report. Undo leaves the VMM `saga_unwound`,
// the instance back to `no_vmm` if its generation did not move on, and nothing reserved or provisioned.
// Mirrors: omicron nexus/src/app/sagas/instance_start.rs@b848b6d.
// Simplification: LIST_LOCAL_STORAGE, ENSURE_LOCAL_STORAGE_0..11, DPD_ENSURE, V2P_ENSURE and
// UPDATE_MULTICAST_SLED_ID are left out: the testbed models no disks, switches or networking.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { nextGeneration } from '../../sim/sled-agent/api/index.ts'
import { conflict, internalError, objectNotFound } from '../app/errors.ts'
import { vmmCpuPlatformFor } from '../app/placement.ts'
import { instanceRuntimeOf, type InstanceRecord, type StartReason, type VmmRecord } from '../db/records.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaDef } from './saga-types.ts'
import { notingFailure, noteUnseenFailure } from './start-failure-notes.ts'
import { propolisIpFor, releaseVmmResources, reserveVmmResources } from './start-placement.ts'
import { registerVmm, requestRun, unregisterVmm } from './start-sled-calls.ts'

export interface InstanceStartParams {
  /**
   * The instance as the start was admitted (omicron's `db_instance`): its id, size, hostname, CPU
   * platform and project. Actions re-read whatever may have changed since.
   */
  readonly instance: InstanceRecord
  /** Why it starts; `auto_restart` stamps `timeLastAutoRestarted` at MARK_AS_STARTING. */
  readonly reason: StartReason
}

export interface InstanceStartOutputs {
  readonly 'generate-propolis-id': PropolisUuid
  readonly 'alloc-server': SledUuid
  readonly 'alloc-propolis-ip': string
  /** The VMM row as inserted (`creating`, gen 1). */
  readonly 'create-vmm-record': VmmRecord
  /** The instance after it was marked starting (omicron's `started_record`). */
  readonly 'mark-as-starting': InstanceRecord
  /** The VMM row after registration (`starting`, gen 2). */
  readonly 'ensure-registered': VmmRecord
  readonly 'add-virtual-resources': null
  readonly 'ensure-running': null
}

type Ctx = SagaContext<InstanceStartParams, InstanceStartOutputs, NexusSagaServices>

export const instanceStartSaga: SagaDef<InstanceStartParams, InstanceStartOutputs, NexusSagaServices> = {
  name: 'instance_start',
  instanceOf: (params) => params.instance.id,
  nodes: [
    // omicron has nothing to undo here; the testbed's undo runs last in every unwind and notes a
    // failure no action saw when `recordStartFailures` is on (see start-failure-notes.ts).
    { name: 'generate-propolis-id', action: generatePropolisId, undo: noteUnseenFailure },
    { name: 'alloc-server', action: notingFailure('alloc-server', allocServer), undo: allocServerUndo },
    // Nothing to undo: the address is derived from the propolis id, not taken from a pool.
    { name: 'alloc-propolis-ip', action: notingFailure('alloc-propolis-ip', allocPropolisIp), undo: null },
    { name: 'create-vmm-record', action: notingFailure('create-vmm-record', createVmmRecord), undo: destroyVmmRecord },
    // Runs before registration: once the instance points at this VMM it cannot be deleted meanwhile.
    { name: 'mark-as-starting', action: notingFailure('mark-as-starting', markAsStarting), undo: markAsStartingUndo },
    { name: 'ensure-registered', action: notingFailure('ensure-registered', ensureRegistered), undo: ensureRegisteredUndo },
    // Late on purpose: earlier undos may move the instance's generation (mark the VMM failed, say)
    // without disturbing this node's undo.
    { name: 'add-virtual-resources', action: notingFailure('add-virtual-resources', addVirtualResources), undo: addVirtualResourcesUndo },
    // Last, and no undo: the earlier undos unregister the VMM, which stops whatever Run began.
    { name: 'ensure-running', action: notingFailure('ensure-running', ensureRunning), undo: null },
  ],
}

async function generatePropolisId(ctx: Ctx): Promise<PropolisUuid> {
  await Promise.resolve()
  return ctx.services.ids.uuid('propolis')
}

async function allocServer(ctx: Ctx): Promise<SledUuid> {
  await Promise.resolve()
  const propolisId = ctx.output('generate-propolis-id')
  return reserveVmmResources(ctx.services.db, { instance: ctx.params.instance, propolisId, seed: ctx.sagaId })
}

async function allocServerUndo(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  releaseVmmResources(ctx.services.db, ctx.output('generate-propolis-id'))
}

async function allocPropolisIp(ctx: Ctx): Promise<string> {
  await Promise.resolve()
  return propolisIpFor(ctx.services.db, ctx.output('alloc-server'), ctx.output('generate-propolis-id'))
}

/** The VMM row in `creating` on the chosen sled, with the instance's CPU platform or the sled's minimum one. */
async function createVmmRecord(ctx: Ctx): Promise<VmmRecord> {
  await Promise.resolve()
  const { db } = ctx.services
  const sledId = ctx.output('alloc-server')
  const sled = db.sledGet(sledId)
  if (sled === null) throw internalError(`start saga: sled ${sledId} is not in the inventory`)
  return db.vmmInsert({
    id: ctx.output('generate-propolis-id'),
    instanceId: ctx.params.instance.id,
    sledId,
    propolisIp: ctx.output('alloc-propolis-ip'),
    cpuPlatform: vmmCpuPlatformFor(ctx.params.instance.cpuPlatform, sled.cpuFamily),
  })
}

/** Marks the VMM `saga_unwound`, so a later start may overwrite it and the reaper may delete it. */
// Simplification: omicron then activates the reincarnation task if the pre-saga record would allow
// it; the testbed's tasks run on their period or `tb.activate`. And omicron's query bumps the
// generation again when the undo is replayed; here a VMM already `saga_unwound` is left as it is.
async function destroyVmmRecord(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  const { db } = ctx.services
  const propolisId = ctx.output('generate-propolis-id')
  if (db.vmmGet(propolisId, { includeDeleted: true })?.state === 'saga_unwound') return
  db.vmmMarkSagaUnwound(propolisId)
}

/**
 * Makes the new VMM the active one (state `vmm`, gen + 1; with reason `auto_restart` also stamps
 * `timeLastAutoRestarted`). Already this VMM: a replay, nothing to do. A `saga_unwound` active VMM
 * is overwritten; any other active VMM is a lost race: 409.
 */
// Simplification: omicron activates the abandoned-VMM reaper after overwriting a `saga_unwound` VMM;
// here the reaper finds it on its next period or `tb.activate`.
async function markAsStarting(ctx: Ctx): Promise<InstanceRecord> {
  await Promise.resolve()
  const instanceId = ctx.params.instance.id
  const outcome = ctx.services.db.instanceSetActiveVmm(instanceId, {
    propolisId: ctx.output('generate-propolis-id'),
    stampAutoRestart: ctx.params.reason === 'auto_restart',
  })
  switch (outcome.kind) {
    case 'set':
    case 'already_active':
      return outcome.instance
    case 'conflict':
      throw conflict(outcome.message)
    case 'not_found':
      throw objectNotFound('instance', { id: instanceId })
    default:
      return assertNever(outcome, 'set active vmm outcome')
  }
}

/**
 * Unlinks the VMM: `no_vmm` (or `failed` with `unwoundStartLeaves: 'failed'`, omicron#7727), gen =
 * the started record's + 1, keeping `timeLastAutoRestarted`. If something else moved the generation
 * on (an update saga after the VMM was marked failed), the write is silently skipped and the instance
 * keeps pointing at its VMM, which then reads `saga_unwound`: effectively `failed`.
 */
async function markAsStartingUndo(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  const started = ctx.output('mark-as-starting')
  const leaves = ctx.services.flags.unwoundStartLeaves === 'failed' ? 'failed' : 'no_vmm'
  ctx.services.db.instanceUpdateRuntime(started.id, {
    ...instanceRuntimeOf(started),
    state: leaves,
    activePropolisId: null,
    gen: nextGeneration(started.gen),
    timeStateUpdated: ctx.clock.now(),
  })
}

async function ensureRegistered(ctx: Ctx): Promise<VmmRecord> {
  const instanceId = ctx.params.instance.id
  const instance = ctx.services.db.instanceGet(instanceId)
  if (instance === null) throw objectNotFound('instance', { id: instanceId })
  return registerVmm(ctx.services, instance, ctx.output('create-vmm-record'), ctx.clock.isoNow())
}

async function ensureRegisteredUndo(ctx: Ctx): Promise<void> {
  await unregisterVmm(ctx.services, ctx.output('ensure-registered'))
}

async function addVirtualResources(ctx: Ctx): Promise<null> {
  await Promise.resolve()
  const { instance } = ctx.params
  ctx.services.db.provisioningAddInstance({ instanceId: instance.id, projectId: instance.projectId, cpus: instance.ncpus, ram: instance.memory })
  return null
}

async function addVirtualResourcesUndo(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  ctx.services.db.provisioningReleaseInstance(ctx.params.instance.id)
}

/** Asks the sled-agent to run the VMM; a successful start also clears any recorded start failure. */
async function ensureRunning(ctx: Ctx): Promise<null> {
  await requestRun(ctx.services, ctx.output('mark-as-starting'), ctx.output('ensure-registered'))
  ctx.services.db.instanceClearStartFailure(ctx.params.instance.id)
  return null
}
