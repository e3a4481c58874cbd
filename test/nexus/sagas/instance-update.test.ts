import { describe, expect, it } from 'vitest'
import { VmmIntake } from '../../../nexus/app/vmm-intake.ts'
import type { InstanceRecord, VmmRecord } from '../../../nexus/db/records.ts'
import { SHIPPING_FLAGS } from '../../../nexus/nexus-config.ts'
import { SagaExecutor } from '../../../nexus/sagas/executor.ts'
import { instanceUpdateSaga, type InstanceUpdateParams } from '../../../nexus/sagas/instance-update.ts'
import { startInstanceUpdateSaga, type StartInstanceUpdateParams } from '../../../nexus/sagas/instance-update-start.ts'
import { SagaFaults } from '../../../nexus/sagas/saga-faults.ts'
import type { NexusSagaServices } from '../../../nexus/sagas/saga-services.ts'
import { updatesRequiredFor } from '../../../nexus/sagas/update-required.ts'
import { effectiveInstanceState } from '../../../nexus/types/effective-instance-state.ts'
import { vmmRuntimeFromRecord } from '../../../nexus/types/vmm-record.ts'
import { failedVmmState, vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import type { InstanceUuid, MigrationUuid, PropolisUuid } from '../../../sim/kernel/ids.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import { nextGeneration, type MigrationState } from '../../../sim/sled-agent/api/index.ts'
import { RecordingUpdates } from '../../support/nexus-world.ts'
import { addRunningInstance, addSled, addVmm, GIB, mustInstance, mustVmm, testDb, type TestDb } from '../db/db-fixtures.ts'
import { expectActionsIdempotent, expectCrashRecoveryEverywhere, expectUnwindsFromEveryNode, type SagaEnding, type SagaTestWorld } from './saga-harness.ts'

// --- Datastore fixtures: an instance whose VMM or migration just reported an end ---

interface Fixture {
  readonly t: TestDb
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly services: NexusSagaServices
  readonly instanceId: InstanceUuid
  readonly source: PropolisUuid
  readonly target: PropolisUuid | null
}

type FixtureKind = 'active-destroyed' | 'active-failed' | 'active-saga-unwound' | 'migration-completed' | 'migration-completed-source-only' | 'migration-failed'

function servicesFor(t: TestDb, clock: VirtualClock, trace: Trace): NexusSagaServices {
  const noSled = () => {
    throw new Error('instance-update calls no sled')
  }
  const intake = new VmmIntake({ db: t.db, trace, clock, updates: new RecordingUpdates(), sledClient: noSled })
  return { db: t.db, ids: t.ids, flags: SHIPPING_FLAGS, intake, sledClient: noSled }
}

function reserve(t: TestDb, instance: InstanceRecord, vmm: VmmRecord, state: 'active' | 'target'): void {
  const outcome = t.db.sledReservationInsert({ propolisId: vmm.id, sledId: vmm.sledId, instanceId: instance.id, hardwareThreads: 2, reservoirRam: 4 * GIB, state })
  if (outcome.kind !== 'reserved') throw new Error(`fixture failed: ${outcome.kind}`)
}

/** A sled's report moving the VMM to `state` (generation + 1). */
function reportVmm(t: TestDb, propolisId: PropolisUuid, state: VmmState): void {
  t.db.vmmUpdateRuntime(propolisId, { state, generation: nextGeneration(mustVmm(t, propolisId).gen), timeUpdated: t.now() })
}

/** A sled's report of one side of a migration (`out` from the source, `in` from the target). */
function reportMigration(t: TestDb, propolisId: PropolisUuid, migrationId: MigrationUuid, side: 'in' | 'out', state: MigrationState): void {
  const row = t.db.migrationGet(migrationId)
  if (row === null) throw new Error('fixture failed: no migration')
  const report = { migrationId, state, generation: nextGeneration(side === 'in' ? row.targetGen : row.sourceGen), timeUpdated: t.now() }
  const vmmState = vmmRuntimeFromRecord(mustVmm(t, propolisId))
  t.db.vmmAndMigrationUpdateRuntime(propolisId, { vmmState, migrationIn: side === 'in' ? report : null, migrationOut: side === 'out' ? report : null })
}

/** A running instance on sled-0 holding its reservation and provisioning, plus what `kind` reported. */
function fixture(kind: FixtureKind): Fixture {
  const t = testDb()
  const clock = new VirtualClock()
  const trace = new Trace(clock)
  addSled(t, 'sled-0')
  const sled1 = addSled(t, 'sled-1')
  const { instance, vmm } = addRunningInstance(t, 'db1')
  reserve(t, instance, vmm, 'active')
  t.db.provisioningAddInstance({ instanceId: instance.id, projectId: t.projectId, cpus: 2, ram: 4 * GIB })
  let target: PropolisUuid | null = null
  if (kind.startsWith('migration')) {
    const targetVmm = addVmm(t, instance, sled1, vmmState('migrating'))
    reserve(t, instance, targetVmm, 'target')
    const migrationId = t.ids.uuid('migration')
    t.db.migrationInsert({ id: migrationId, instanceId: instance.id, sourcePropolisId: vmm.id, targetPropolisId: targetVmm.id })
    const set = t.db.instanceSetMigrationIds(instance.id, { srcPropolisId: vmm.id, migrationId, targetPropolisId: targetVmm.id })
    if (set.kind !== 'set') throw new Error(`fixture failed: ${set.kind}`)
    target = targetVmm.id
    if (kind === 'migration-failed') {
      reportVmm(t, targetVmm.id, failedVmmState('from_sled_agent'))
      reportMigration(t, targetVmm.id, migrationId, 'in', 'failed')
    } else {
      reportVmm(t, targetVmm.id, vmmState('running'))
      reportMigration(t, vmm.id, migrationId, 'out', 'completed')
      if (kind === 'migration-completed') reportMigration(t, targetVmm.id, migrationId, 'in', 'completed')
    }
  }
  if (kind === 'active-destroyed') reportVmm(t, vmm.id, vmmState('destroyed'))
  if (kind === 'active-failed') reportVmm(t, vmm.id, failedVmmState('no_such_instance'))
  if (kind === 'active-saga-unwound') t.db.vmmMarkSagaUnwound(vmm.id)
  return { t, clock, trace, services: servicesFor(t, clock, trace), instanceId: instance.id, source: vmm.id, target }
}

function snapshotOf(f: Fixture) {
  const { db } = f.t
  return {
    instance: db.instanceGet(f.instanceId, { includeDeleted: true }),
    vmms: db.vmmList({ instanceId: f.instanceId }),
    reservations: db.sledReservationList({ instanceId: f.instanceId }),
    provisioning: db.provisioningRead(),
  }
}

/** Omicron's `assert_instance_record_is_consistent`: no update is ever half applied. */
function expectConsistent(instance: InstanceRecord): void {
  expect(instance.state === 'vmm', 'state vmm iff an active VMM').toBe(instance.activePropolisId !== null)
  if (instance.targetPropolisId !== null) expect(instance.migrationId, 'a target implies a migration').not.toBeNull()
  if (instance.migrationId !== null) expect(instance.state, 'a migrating instance has a VMM').toBe('vmm')
}

function startWorld(kind: FixtureKind): () => SagaTestWorld<StartInstanceUpdateParams, NexusSagaServices, ReturnType<typeof snapshotOf>> {
  return () => {
    const f = fixture(kind)
    return {
      db: f.t.db,
      services: f.services,
      params: { instanceId: f.instanceId },
      clock: f.clock,
      trace: f.trace,
      snapshot: () => snapshotOf(f),
      check: () => {
        const instance = mustInstance(f.t, f.instanceId)
        expect(instance.updaterId, 'the lock after start-instance-update ends').toBeNull()
        expectConsistent(instance)
      },
    }
  }
}

/** The real saga alone: the world takes the lock as the start saga would and decides the update. */
function realWorld(kind: FixtureKind): () => SagaTestWorld<InstanceUpdateParams, NexusSagaServices, ReturnType<typeof snapshotOf>> {
  return () => {
    const f = fixture(kind)
    const parentId = f.t.ids.uuid('updater')
    const locked = f.t.db.instanceTryLock(f.instanceId, parentId)
    const snapshot = f.t.db.instanceFetchAll(f.instanceId)
    if (locked.kind !== 'locked' || snapshot === null) throw new Error('fixture failed: cannot lock')
    const update = updatesRequiredFor(snapshot, f.clock.now())
    if (update === null) throw new Error(`fixture failed: ${kind} needs no update`)
    return {
      db: f.t.db,
      services: f.services,
      params: { instanceId: f.instanceId, parentLock: locked.lock, update },
      clock: f.clock,
      trace: f.trace,
      snapshot: () => snapshotOf(f),
      check: (ending: SagaEnding) => {
        const instance = mustInstance(f.t, f.instanceId)
        // Unwound before inheriting, the lock is still the parent's, for the parent to release.
        if (ending.kind === 'succeeded') expect(instance.updaterId).toBeNull()
        else expect([null, parentId]).toContain(instance.updaterId)
        expectConsistent(instance)
      },
    }
  }
}

const UPDATING_KINDS = ['active-destroyed', 'active-failed', 'migration-completed', 'migration-completed-source-only', 'migration-failed'] as const

describe.each(UPDATING_KINDS)('the instance-update sagas with %s', (kind) => {
  it('unwind cleanly from every node', async () => {
    const start = await expectUnwindsFromEveryNode(startInstanceUpdateSaga, startWorld(kind))
    const real = await expectUnwindsFromEveryNode(instanceUpdateSaga, realWorld(kind))

    expect([start.runs.length, real.runs.length]).toEqual([4, 11])
  })

  it('end the same with every action and undo run twice', async () => {
    await expectActionsIdempotent(startInstanceUpdateSaga, startWorld(kind))
    await expectActionsIdempotent(instanceUpdateSaga, realWorld(kind))
  })

  it('end the same after a Nexus crash at any step', async () => {
    const start = await expectCrashRecoveryEverywhere(startInstanceUpdateSaga, startWorld(kind))
    const real = await expectCrashRecoveryEverywhere(instanceUpdateSaga, realWorld(kind))

    // Every forward step twice (before and after its log entry), plus the unwinding ones.
    expect(start.runs.length).toBeGreaterThan(2 * 3)
    expect(real.runs.length).toBeGreaterThan(2 * 10)
  })
})

// --- End states, lock semantics and chaining, through an executor ---

function executorFor(f: Fixture, faults = new SagaFaults()): SagaExecutor<NexusSagaServices> {
  return new SagaExecutor({ db: f.t.db, trace: f.trace, clock: f.clock, ids: f.t.ids, services: f.services, faults })
}

async function runUpdate(f: Fixture, executor = executorFor(f)) {
  const outcome = await executor.run(startInstanceUpdateSaga, { instanceId: f.instanceId })
  if (outcome.kind !== 'succeeded') throw new Error(`start-instance-update ${outcome.kind}: ${outcome.error.message}`)
  return { outcome, executor, instance: mustInstance(f.t, f.instanceId) }
}

const activations = (f: Fixture) => f.trace.events().flatMap((e) => (e.kind === 'instance_update.activation_requested' ? [e.task] : []))
const external = (f: Fixture, instance: InstanceRecord) => {
  const active = instance.activePropolisId === null ? null : mustVmm(f.t, instance.activePropolisId)
  return effectiveInstanceState({ instance, activeVmm: active }).runState
}

describe('start-instance-update', () => {
  it('brings an instance whose active VMM was destroyed to no_vmm (stopped), releasing what it held', async () => {
    const f = fixture('active-destroyed')

    const { instance } = await runUpdate(f)

    expect(instance).toMatchObject({ state: 'no_vmm', activePropolisId: null, intendedState: 'guest_shutdown', updaterId: null, gen: 4 })
    expect(external(f, instance)).toBe('stopped')
    expect(f.t.db.provisioningRead()).toMatchObject({ instances: [], fleet: { cpus: 0, ram: 0 } })
    expect(f.t.db.sledReservationList({ instanceId: f.instanceId })).toEqual([])
    expect(mustVmm(f.t, f.source)).toMatchObject({ state: 'destroyed', timeDeleted: f.t.now() })
  })

  it.each(['stopped', 'destroyed'] as const)('keeps an intent of %s when the active VMM is destroyed', async (intent) => {
    const f = fixture('active-destroyed')
    f.t.db.instanceSetIntendedState(f.instanceId, intent)

    const { instance } = await runUpdate(f)

    expect(instance).toMatchObject({ state: 'no_vmm', intendedState: intent })
  })

  it('fails the instance when its active VMM failed, leaving the intent and handing it to reincarnation', async () => {
    const f = fixture('active-failed')

    const { instance } = await runUpdate(f)

    expect(instance).toMatchObject({ state: 'failed', activePropolisId: null, intendedState: 'running', updaterId: null })
    expect(external(f, instance)).toBe('failed')
    expect(f.t.db.provisioningRead().instances).toEqual([])
    expect(f.t.db.sledReservationList({ instanceId: f.instanceId })).toEqual([])
    expect(mustVmm(f.t, f.source)).toMatchObject({ state: 'failed', failureReason: 'no_such_instance', timeDeleted: f.t.now() })
    expect(activations(f)).toEqual(['instance_reincarnation'])
  })

  it('leaves an instance pointing at a saga_unwound VMM alone, only taking and releasing the lock', async () => {
    const f = fixture('active-saga-unwound')
    const before = mustInstance(f.t, f.instanceId)

    const { outcome, instance } = await runUpdate(f)

    expect(outcome.outputs['fetch-state-and-start-real-saga']).toEqual({ kind: 'no_update', reincarnate: true })
    expect(instance).toEqual({ ...before, updaterGen: before.updaterGen + 2 })
    expect(mustVmm(f.t, f.source).timeDeleted).toBeNull()
    expect(f.t.db.provisioningRead().instances).toHaveLength(1)
  })

  it('moves the instance to the target when the migration completed, clearing the ids and swapping the reservations', async () => {
    const f = fixture('migration-completed')

    const { instance } = await runUpdate(f)

    expect(instance).toMatchObject({ state: 'vmm', activePropolisId: f.target, targetPropolisId: null, migrationId: null, intendedState: 'running' })
    expect(external(f, instance)).toBe('running')
    expect(f.t.db.sledReservationList({ instanceId: f.instanceId }).map((r) => [r.id, r.state])).toEqual([
      [f.source, 'tombstoned'],
      [f.target, 'active'],
    ])
    expect(f.t.db.provisioningRead().instances).toHaveLength(1)
  })

  it('moves the instance to the target but keeps the ids while only the source reports completion', async () => {
    const f = fixture('migration-completed-source-only')

    const { instance } = await runUpdate(f)

    expect(instance).toMatchObject({ state: 'vmm', activePropolisId: f.target, targetPropolisId: f.target })
    expect(instance.migrationId).not.toBeNull()
    expect(external(f, instance)).toBe('migrating')
    expect(f.t.db.sledReservationList({ instanceId: f.instanceId }).map((r) => r.state)).toEqual(['active', 'target'])
  })

  it('clears the ids and destroys the target when the migration failed, leaving the source running', async () => {
    const f = fixture('migration-failed')

    const { instance } = await runUpdate(f)

    expect(instance).toMatchObject({ state: 'vmm', activePropolisId: f.source, targetPropolisId: null, migrationId: null })
    expect(external(f, instance)).toBe('running')
    expect(f.target === null ? null : mustVmm(f.t, f.target).timeDeleted).toBe(f.t.now())
    expect(f.t.db.sledReservationList({ instanceId: f.instanceId }).map((r) => [r.id, r.state])).toEqual([[f.source, 'active']])
    expect(f.t.db.provisioningRead().instances).toHaveLength(1)
  })

  it('ends at once, successfully and doing nothing, while another updater holds the lock', async () => {
    const f = fixture('active-destroyed')
    const holder = f.t.ids.uuid('updater')
    f.t.db.instanceTryLock(f.instanceId, holder)
    const before = snapshotOf(f)

    const { outcome } = await runUpdate(f)

    expect(outcome.outputs['lock-instance']).toBeNull()
    expect(outcome.outputs['fetch-state-and-start-real-saga']).toEqual({ kind: 'already_locked' })
    expect(snapshotOf(f)).toEqual(before)
    expect(mustInstance(f.t, f.instanceId).updaterId).toBe(holder)
  })

  it('unwinds with 404 for a deleted instance, rather than retrying for ever (omicron#10784)', async () => {
    const f = fixture('active-destroyed')
    const outcome = await executorFor(f).run(startInstanceUpdateSaga, { instanceId: f.t.ids.uuid('instance') })

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'lock-instance', error: { apiError: { statusCode: 404 } } })
  })

  it('releases the lock and asks for the instance updater when the real saga fails', async () => {
    const f = fixture('active-destroyed')
    const faults = new SagaFaults()
    faults.failAt(instanceUpdateSaga.name, 'become-updater')

    const { outcome, instance } = await runUpdate(f, executorFor(f, faults))

    expect(outcome.outputs['fetch-state-and-start-real-saga']).toMatchObject({ kind: 'real_saga_failed', outcome: 'unwound' })
    expect(instance).toMatchObject({ state: 'vmm', updaterId: null })
    expect(activations(f)).toEqual(['instance_updater'])
  })

  it('does not release provisioning twice for a late destroyed report from an abandoned VMM (omicron#5042)', async () => {
    // A start saga unwound (VMM A saga_unwound), then a new start put the instance on VMM B and
    // provisioned it again; only now does A's sled report A destroyed.
    const f = fixture('active-saga-unwound')
    const sled = f.t.db.sledList()[0]
    if (sled === undefined) throw new Error('no sled')
    const b = addVmm(f.t, mustInstance(f.t, f.instanceId), sled, vmmState('running'))
    f.t.db.instanceSetActiveVmm(f.instanceId, { propolisId: b.id, stampAutoRestart: false })
    const late = { state: 'destroyed', gen: nextGeneration(mustVmm(f.t, f.source).gen), time_updated: '2026-08-21T10:00:00Z' } as const
    const trigger = f.services.intake.notify(f.source, { vmm_state: late, migration_in: null, migration_out: null })
    const before = snapshotOf(f)

    const { outcome } = await runUpdate(f)
    await runUpdate(f)

    expect(trigger.kind).toBe('needs_instance_update')
    expect(outcome.outputs['fetch-state-and-start-real-saga']).toMatchObject({ kind: 'no_update' })
    expect(snapshotOf(f)).toEqual({ ...before, instance: { ...before.instance, updaterGen: (before.instance?.updaterGen ?? 0) + 4 } })
    expect(f.t.db.provisioningRead().fleet).toEqual({ cpus: 2, ram: 4 * GIB })
  })
})

describe('instance-update', () => {
  it('unwinds with 409 "instance state has changed" and releases the lock when the generation moved under it', async () => {
    const f = fixture('active-destroyed')
    const locked = f.t.db.instanceTryLock(f.instanceId, f.t.ids.uuid('updater'))
    const snapshot = f.t.db.instanceFetchAll(f.instanceId)
    if (locked.kind !== 'locked' || snapshot === null) throw new Error('cannot lock')
    const update = updatesRequiredFor(snapshot, f.clock.now())
    if (update === null) throw new Error('no update')
    // Someone else (a migrate saga, say) writes the instance while the lock is held.
    f.t.db.instanceUpdateRuntime(f.instanceId, { ...snapshot.instance, gen: nextGeneration(snapshot.instance.gen) })

    const outcome = await executorFor(f).run(instanceUpdateSaga, { instanceId: f.instanceId, parentLock: locked.lock, update })

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'commit-instance-updates', error: { apiError: { statusCode: 409, message: 'instance state has changed' } } })
    expect(mustInstance(f.t, f.instanceId)).toMatchObject({ state: 'vmm', activePropolisId: f.source, updaterId: null })
    expect(activations(f)).toEqual(['instance_updater'])
  })

  it('chains a successor when the records moved on while it held the lock', async () => {
    const f = fixture('migration-completed-source-only')
    const executor = executorFor(f)
    const locked = f.t.db.instanceTryLock(f.instanceId, f.t.ids.uuid('updater'))
    const snapshot = f.t.db.instanceFetchAll(f.instanceId)
    const update = snapshot === null ? null : updatesRequiredFor(snapshot, f.clock.now())
    if (locked.kind !== 'locked' || snapshot?.migration == null || update === null || f.target === null) throw new Error('no update')
    // The target's completion arrives after the decision: the migration row changes, the instance does not.
    reportMigration(f.t, f.target, snapshot.migration.id, 'in', 'completed')

    const outcome = await executor.run(instanceUpdateSaga, { instanceId: f.instanceId, parentLock: locked.lock, update })
    while (executor.running().length > 0) await Promise.resolve()

    expect(outcome).toMatchObject({ kind: 'succeeded', outputs: { 'chain-successor-saga': { kind: 'successor_started' } } })
    expect(mustInstance(f.t, f.instanceId)).toMatchObject({ activePropolisId: f.target, targetPropolisId: null, migrationId: null, updaterId: null })
    expect(f.t.db.sledReservationList({ instanceId: f.instanceId }).map((r) => r.state)).toEqual(['tombstoned', 'active'])
  })
})
