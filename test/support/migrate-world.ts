// A world for the instance-migrate saga: the start world (real simulated sleds behind MSW, the
// datastore, the intake, the saga services) with one instance already running on the first sled,
// the setup the saga harness takes, and the checks every migrate run must pass.
import type { InstanceRecord, VmmRecord } from '../../nexus/db/records.ts'
import type { InstanceMigrateParams } from '../../nexus/sagas/instance-migrate.ts'
import type { NexusSagaServices } from '../../nexus/sagas/saga-services.ts'
import { updatesRequiredFor } from '../../nexus/sagas/update-required.ts'
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { SledUuid } from '../../sim/kernel/ids.ts'
import type { SagaEnding, SagaTestWorld } from '../nexus/sagas/saga-harness.ts'
import { StartWorld, type InstanceShape, type StartWorldOptions, type WorldSnapshot } from './start-world.ts'

export interface RunningInstance {
  readonly instance: InstanceRecord
  /** Its active VMM, `running` on the first sled. */
  readonly vmm: VmmRecord
  /** The second sled, where a migration goes. */
  readonly dstSledId: SledUuid
}

/** The start world's snapshot plus what a migration changes: the instance's ids and the migration rows. */
export interface MigrateWorldSnapshot extends WorldSnapshot {
  readonly migrationIds: { readonly migration: string | null; readonly target: string | null; readonly gen: number }
  readonly migrations: readonly { readonly migration: string; readonly source: string; readonly target: string; readonly sides: string }[]
}

/** Starts `db1` through the start saga and lets it boot; the instance then runs on sled 1. */
export async function runningInstance(w: StartWorld, shape: InstanceShape = {}): Promise<RunningInstance> {
  const stopped = w.stoppedInstance('db1', shape)
  await w.drive(w.start(stopped.id))
  const found = w.db.instanceFetchWithVmm(stopped.id)
  const vmm = found?.vmm ?? null
  if (found === null || vmm === null || vmm.state !== 'running') throw new Error(`db1 did not start: ${JSON.stringify(found)}`)
  const dst = w.h.sleds.find((s) => s.id !== vmm.sledId)
  if (dst === undefined) throw new Error('no second sled to migrate to')
  return { instance: found.instance, vmm, dstSledId: dst.id }
}

/** The saga's params for migrating the running instance to the other sled. */
export function migrateParams(running: RunningInstance): InstanceMigrateParams {
  return { instance: running.instance, srcVmm: running.vmm, dstSledId: running.dstSledId }
}

/** The start world's snapshot with the migration columns, ids replaced by labels in order of appearance. */
export function migrateSnapshot(w: StartWorld, running: RunningInstance): MigrateWorldSnapshot {
  const base = w.snapshot()
  const vmmOrder = [...new Set<string>([...w.db.vmmList().map((v) => v.id), ...w.db.sledReservationList().map((r) => r.id)])]
  const vmm = (id: string | null) => (id === null ? null : `vmm-${vmmOrder.indexOf(id) + 1}`)
  const rows = w.db.migrationList()
  const migration = (id: string | null) => (id === null ? null : `migration-${rows.findIndex((m) => m.id === id) + 1}`)
  const instance = w.db.instanceGet(running.instance.id)
  return {
    ...base,
    migrationIds: { migration: migration(instance?.migrationId ?? null), target: vmm(instance?.targetPropolisId ?? null), gen: instance?.gen ?? 0 },
    migrations: rows.map((m) => ({
      migration: migration(m.id) ?? 'unknown',
      source: vmm(m.sourcePropolisId) ?? 'unknown',
      target: vmm(m.targetPropolisId) ?? 'unknown',
      sides: `${m.sourceState}@${m.sourceGen}/${m.targetState}@${m.targetGen}`,
    })),
  }
}

/**
 * What a migrate saga that succeeded must leave: the instance still on its source but pointing at
 * the new migration and target, the target's `target` reservation on the destination, and the
 * provisioning as it was.
 */
export function checkMigrating(w: StartWorld, running: RunningInstance): void {
  const problems: string[] = []
  const instance = w.db.instanceGet(running.instance.id)
  const migration = instance?.migrationId == null ? null : w.db.migrationGet(instance.migrationId)
  const target = instance?.targetPropolisId == null ? null : w.db.vmmGet(instance.targetPropolisId)
  if (instance?.activePropolisId !== running.vmm.id) problems.push(`active VMM is ${instance?.activePropolisId}, not the source`)
  if (migration === null || migration.sourcePropolisId !== running.vmm.id || migration.targetPropolisId !== target?.id) problems.push('no migration from the source to the target')
  if (target === null || target.sledId !== running.dstSledId) problems.push('no target VMM on the destination')
  const reservation = target === null ? null : w.db.sledReservationGet(target.id)
  if (reservation?.state !== 'target' || reservation.sledId !== running.dstSledId) problems.push(`target reservation is ${JSON.stringify(reservation)}`)
  checkProvisioningKept(w, running, problems)
  if (problems.length > 0) throw new Error(`migrate saga succeeded but ${problems.join('; ')}`)
}

/**
 * What every unwound migrate saga must leave (omicron-behaviour §2.7): the target `saga_unwound`,
 * the migration failed on both sides, nothing reserved or running on the destination, the instance
 * still running on its source. Its migration ids are not cleared by the unwind; if they were set they
 * must name the unwound target and the failed migration, so that the next update saga clears them.
 */
export function checkUnwoundMigrate(w: StartWorld, running: RunningInstance, failedNode: string): void {
  const problems: string[] = []
  const others = w.db.vmmList({ instanceId: running.instance.id }).filter((v) => v.id !== running.vmm.id)
  for (const v of others) if (v.state !== 'saga_unwound') problems.push(`target VMM is ${v.state}`)
  for (const m of w.db.migrationList()) if (m.sourceState !== 'failed' || m.targetState !== 'failed') problems.push(`migration is ${m.sourceState}/${m.targetState}`)
  const reservations = w.db.sledReservationList()
  if (reservations.length !== 1 || reservations[0]?.id !== running.vmm.id) problems.push(`reservations left: ${JSON.stringify(reservations)}`)
  const onDestination = w.h.sleds.find((s) => s.id === running.dstSledId)?.vmmViews() ?? []
  if (onDestination.length > 0) problems.push(`VMMs left on the destination: ${onDestination.map((v) => v.propolisId).join(', ')}`)
  const snapshot = w.db.instanceFetchAll(running.instance.id)
  if (snapshot === null) throw new Error('the instance is gone')
  const { instance, activeVmm } = snapshot
  if (instance.state !== 'vmm' || activeVmm?.id !== running.vmm.id || activeVmm.state !== 'running') problems.push(`instance is ${instance.state} on ${activeVmm?.state ?? 'no'} VMM`)
  if (instance.migrationId === null) {
    if (instance.targetPropolisId !== null) problems.push('a target id without a migration id')
  } else {
    const update = updatesRequiredFor(snapshot, w.h.clock.now())
    const cleared = update !== null && update.newRuntime.migrationId === null && update.newRuntime.targetPropolisId === null
    if (!cleared || update.newRuntime.activePropolisId !== running.vmm.id) problems.push(`the next update saga would not clear the ids: ${JSON.stringify(update?.newRuntime ?? null)}`)
  }
  checkProvisioningKept(w, running, problems)
  if (problems.length > 0) throw new Error(`unwound at ${failedNode} but left: ${problems.join('; ')}`)
}

function checkProvisioningKept(w: StartWorld, running: RunningInstance, problems: string[]): void {
  const { fleet } = w.db.provisioningRead()
  if (fleet.cpus !== running.instance.ncpus || fleet.ram !== running.instance.memory) problems.push(`provisioning changed: ${JSON.stringify(fleet)}`)
}

export function checkMigrateEnding(w: StartWorld, running: RunningInstance, ending: SagaEnding): void {
  switch (ending.kind) {
    case 'succeeded':
      return checkMigrating(w, running)
    case 'unwound':
      return checkUnwoundMigrate(w, running, ending.failedNode)
    case 'stuck':
      throw new Error(`stuck at ${ending.undoNode} after failing at ${ending.failedNode}`)
    default:
      return assertNever(ending, 'saga ending')
  }
}

/** A fresh world with `db1` running on sled 1, as the saga harness wants it for instance-migrate. */
export async function migrateSagaTestWorld(options: StartWorldOptions = {}): Promise<SagaTestWorld<InstanceMigrateParams, NexusSagaServices, MigrateWorldSnapshot>> {
  const w = new StartWorld(options)
  const running = await runningInstance(w)
  return {
    db: w.db,
    services: w.services,
    params: migrateParams(running),
    clock: w.h.clock,
    trace: w.h.trace,
    snapshot: () => migrateSnapshot(w, running),
    check: (ending) => checkMigrateEnding(w, running, ending),
    drive: (work) => w.drive(work),
    dispose: () => w.dispose(),
  }
}
