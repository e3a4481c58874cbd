// The instance-migrate saga: reserve room on the destination sled, create the target VMM and the
// migration records, point the instance at them, register the target on its sled and ask it to
// migrate in from the source. It ends when the target's sled-agent accepts the request; the outcome
// arrives later by report and the instance-update saga acts on it. Unwinding leaves the target
// `saga_unwound`, the migration `failed` on both sides and nothing reserved, but the instance's
// migration ids in place (see SET_MIGRATION_IDS) until an update saga clears them.
// Mirrors: omicron nexus/src/app/sagas/instance_migrate.rs@b848b6d.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { MigrationUuid, PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { conflict } from '../app/errors.ts'
import type { InstanceRecord, MigrationRecord, VmmRecord } from '../db/records.ts'
import { reserveMigrationTarget } from './migrate-placement.ts'
import { registerMigrationTarget, requestMigrationIn, unregisterMigrationTarget } from './migrate-sled-calls.ts'
import type { NexusSagaServices } from './saga-services.ts'
import type { SagaContext, SagaDef } from './saga-types.ts'
import { propolisIpFor, releaseVmmResources } from './start-placement.ts'

export interface InstanceMigrateParams {
  /** The instance as the migration was admitted (omicron's `instance`): id, size, hostname, project. */
  readonly instance: InstanceRecord
  /** The active VMM it migrates out of, `running` when admitted (omicron's `src_vmm`). */
  readonly srcVmm: VmmRecord
  /** Where the operator asked it to go (omicron's `migrate_params.dst_sled_id`). */
  readonly dstSledId: SledUuid
}

export interface InstanceMigrateOutputs {
  readonly 'generate-migration-id': MigrationUuid
  readonly 'generate-propolis-id': PropolisUuid
  readonly 'reserve-resources': SledUuid
  readonly 'allocate-propolis-ip': string
  /** The target VMM row as inserted (`creating`, gen 1). */
  readonly 'create-vmm-record': VmmRecord
  /** The migration row as inserted (both sides `pending`, gen 1). */
  readonly 'create-migration-record': MigrationRecord
  /** The instance with its migration ids set (omicron's `set_migration_ids`). */
  readonly 'set-migration-ids': InstanceRecord
  /** The target VMM row after registration (`migrating`, gen 2). */
  readonly 'ensure-destination-propolis': VmmRecord
  readonly 'instance-migrate': null
}

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** The unwind could not mark the migration failed (omicron logs this and carries on). */
    'instance_migrate.migration_not_failed': { readonly saga: string; readonly migration: string; readonly outcome: 'not_found' | 'deleted' }
  }
}

type Ctx = SagaContext<InstanceMigrateParams, InstanceMigrateOutputs, NexusSagaServices>

export const INSTANCE_MIGRATE_SAGA_NAME = 'instance_migrate'

export const instanceMigrateSaga: SagaDef<InstanceMigrateParams, InstanceMigrateOutputs, NexusSagaServices> = {
  name: INSTANCE_MIGRATE_SAGA_NAME,
  instanceOf: (params) => params.instance.id,
  nodes: [
    // Ids only (omicron's ACTION_GENERATE_ID nodes); logged so a replay uses the same ones.
    { name: 'generate-migration-id', action: generateMigrationId, undo: null },
    { name: 'generate-propolis-id', action: generatePropolisId, undo: null },
    { name: 'reserve-resources', action: reserveResources, undo: releaseResources },
    // Nothing to undo: the address is derived from the propolis id, not taken from a pool.
    { name: 'allocate-propolis-ip', action: allocatePropolisIp, undo: null },
    { name: 'create-vmm-record', action: createVmmRecord, undo: destroyVmmRecord },
    { name: 'create-migration-record', action: createMigrationRecord, undo: failMigrationRecord },
    // After both records exist, so the instance never points at rows that are not there yet. No
    // undo on purpose: an update saga may have moved the generation on meanwhile, so clearing the
    // ids could not be done safely; a `saga_unwound` target and a migration failed on both sides
    // make them clobberable by the next migration, and make the next update saga clear them.
    { name: 'set-migration-ids', action: setMigrationIds, undo: null },
    { name: 'ensure-destination-propolis', action: ensureDestinationPropolis, undo: ensureDestinationPropolisUndo },
    // Last, and no undo: a migration once begun cannot be called back (it may even have finished);
    // the earlier undo unregisters the target, which fails whatever began.
    { name: 'instance-migrate', action: instanceMigrate, undo: null },
  ],
}

async function generateMigrationId(ctx: Ctx): Promise<MigrationUuid> {
  await Promise.resolve()
  return ctx.services.ids.uuid('migration')
}

async function generatePropolisId(ctx: Ctx): Promise<PropolisUuid> {
  await Promise.resolve()
  return ctx.services.ids.uuid('propolis')
}

async function reserveResources(ctx: Ctx): Promise<SledUuid> {
  await Promise.resolve()
  const { instance, srcVmm, dstSledId } = ctx.params
  return reserveMigrationTarget(ctx.services.db, { instance, srcVmm, dstSledId, propolisId: ctx.output('generate-propolis-id') })
}

/** Frees the target's reservation; one already gone is fine. */
async function releaseResources(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  releaseVmmResources(ctx.services.db, ctx.output('generate-propolis-id'))
}

async function allocatePropolisIp(ctx: Ctx): Promise<string> {
  await Promise.resolve()
  return propolisIpFor(ctx.services.db, ctx.output('reserve-resources'), ctx.output('generate-propolis-id'))
}

/** The target VMM row in `creating` on the destination, with the source VMM's CPU platform. */
async function createVmmRecord(ctx: Ctx): Promise<VmmRecord> {
  await Promise.resolve()
  const { instance, srcVmm } = ctx.params
  return ctx.services.db.vmmInsert({
    id: ctx.output('generate-propolis-id'),
    instanceId: instance.id,
    sledId: ctx.output('reserve-resources'),
    propolisIp: ctx.output('allocate-propolis-ip'),
    cpuPlatform: srcVmm.cpuPlatform,
  })
}

/** Marks the target `saga_unwound`: the reaper may delete it, and a later migration clobber its id. */
// Simplification: omicron's query bumps the generation again when the undo is replayed; here a VMM
// already `saga_unwound` is left as it is (as the start saga's undo does).
async function destroyVmmRecord(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  const { db } = ctx.services
  const propolisId = ctx.output('generate-propolis-id')
  if (db.vmmGet(propolisId, { includeDeleted: true })?.state === 'saga_unwound') return
  db.vmmMarkSagaUnwound(propolisId)
}

async function createMigrationRecord(ctx: Ctx): Promise<MigrationRecord> {
  await Promise.resolve()
  const { instance, srcVmm } = ctx.params
  return ctx.services.db.migrationInsert({
    id: ctx.output('generate-migration-id'),
    instanceId: instance.id,
    sourcePropolisId: srcVmm.id,
    targetPropolisId: ctx.output('generate-propolis-id'),
  })
}

/**
 * Marks both sides `failed` (each gen + 1). A row that is missing or deleted is only noted, as
 * omicron only logs it: not worth a stuck saga.
 */
// Simplification: omicron bumps both generations whenever the undo runs; here a row already failed
// on both sides (a replayed undo, or both sleds reported the failure first) is left as it is.
async function failMigrationRecord(ctx: Ctx): Promise<void> {
  await Promise.resolve()
  const { db } = ctx.services
  const migrationId = ctx.output('generate-migration-id')
  const row = db.migrationGet(migrationId, { includeDeleted: true })
  if (row !== null && row.sourceState === 'failed' && row.targetState === 'failed') return
  const outcome = db.migrationMarkFailed(migrationId)
  if (outcome.kind !== 'updated') ctx.trace.record('instance_migrate.migration_not_failed', { saga: ctx.sagaId, migration: migrationId, outcome: outcome.kind })
}

/**
 * Points the instance at the migration and the target (gen + 1), if the source is still its active
 * VMM and `running` or `rebooting` and no other migration holds the ids; otherwise 409 "another
 * migration is already in progress".
 */
// Simplification: omicron's query matches its own ids again on a replay and bumps the generation a
// second time; here a replay finds the ids set and returns the row unchanged.
async function setMigrationIds(ctx: Ctx): Promise<InstanceRecord> {
  await Promise.resolve()
  const { db } = ctx.services
  const { instance, srcVmm } = ctx.params
  const migrationId = ctx.output('generate-migration-id')
  const targetPropolisId = ctx.output('generate-propolis-id')
  const current = db.instanceGet(instance.id)
  if (current !== null && current.migrationId === migrationId && current.targetPropolisId === targetPropolisId) return current
  const outcome = db.instanceSetMigrationIds(instance.id, { srcPropolisId: srcVmm.id, migrationId, targetPropolisId })
  switch (outcome.kind) {
    case 'set':
      return outcome.instance
    case 'conflict':
      throw conflict(outcome.message)
    default:
      return assertNever(outcome, 'set migration ids outcome')
  }
}

async function ensureDestinationPropolis(ctx: Ctx): Promise<VmmRecord> {
  return registerMigrationTarget(ctx.services, ctx.output('set-migration-ids'), ctx.output('create-vmm-record'), ctx.clock.isoNow())
}

async function ensureDestinationPropolisUndo(ctx: Ctx): Promise<void> {
  await unregisterMigrationTarget(ctx.services, ctx.output('ensure-destination-propolis'))
}

/** Asks the target to migrate in from the source's Propolis. */
async function instanceMigrate(ctx: Ctx): Promise<null> {
  await requestMigrationIn(ctx.services, ctx.output('set-migration-ids'), ctx.output('ensure-destination-propolis'), ctx.params.srcVmm)
  return null
}
