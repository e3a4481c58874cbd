import { afterEach, describe, expect, it } from 'vitest'
import type { NexusApiError } from '../../../nexus/app/errors.ts'
import { instanceMigrateSaga, type InstanceMigrateOutputs, type InstanceMigrateParams } from '../../../nexus/sagas/instance-migrate.ts'
import { NO_COMPATIBLE_SLED_FAMILIES_MESSAGE } from '../../../nexus/sagas/migrate-placement.ts'
import type { SagaOutcome } from '../../../nexus/sagas/saga-types.ts'
import { checkMigrating, checkUnwoundMigrate, migrateParams, migrateSagaTestWorld, runningInstance } from '../../support/migrate-world.ts'
import { StartWorld, type StartWorldOptions } from '../../support/start-world.ts'
import { expectActionsIdempotent, expectCrashRecoveryEverywhere, expectUnwindsFromEveryNode } from './saga-harness.ts'

let w: StartWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

const NODES = instanceMigrateSaga.nodes.map((n) => n.name)

function world(options: StartWorldOptions = {}): StartWorld {
  w = new StartWorld(options)
  return w
}

async function migrate(sw: StartWorld, params: InstanceMigrateParams): Promise<SagaOutcome<InstanceMigrateOutputs>> {
  return sw.drive(sw.executor.run(instanceMigrateSaga, params))
}

function errorOf(outcome: SagaOutcome<InstanceMigrateOutputs>): NexusApiError | null {
  return outcome.kind === 'succeeded' ? null : outcome.error.apiError
}

describe('the instance-migrate saga', () => {
  it('runs its nodes in omicron order, with no undo for the ids, the address, the migration ids or the migrate request', () => {
    expect(NODES).toEqual([
      'generate-migration-id',
      'generate-propolis-id',
      'reserve-resources',
      'allocate-propolis-ip',
      'create-vmm-record',
      'create-migration-record',
      'set-migration-ids',
      'ensure-destination-propolis',
      'instance-migrate',
    ])
    expect(instanceMigrateSaga.nodes.filter((n) => n.undo === null).map((n) => n.name)).toEqual([
      'generate-migration-id',
      'generate-propolis-id',
      'allocate-propolis-ip',
      'set-migration-ids',
      'instance-migrate',
    ])
  })

  it('registers the target in migrating with the migration id, and the sleds move the instance once the target is asked to migrate in', async () => {
    const sw = world()
    const running = await runningInstance(sw)

    const outcome = await migrate(sw, migrateParams(running))

    expect(outcome.kind).toBe('succeeded')
    checkMigrating(sw, running)
    const instance = sw.db.instanceGet(running.instance.id)
    expect(instance).toMatchObject({ gen: running.instance.gen + 1, activePropolisId: running.vmm.id })
    const migration = instance?.migrationId == null ? null : sw.db.migrationGet(instance.migrationId)
    // No update saga runs in this world, so the records show what the sleds reported and no more.
    expect(migration).toMatchObject({ sourceState: 'completed', targetState: 'completed' })
    expect(instance?.targetPropolisId == null ? null : sw.db.vmmGet(instance.targetPropolisId)).toMatchObject({ state: 'running', cpuPlatform: running.vmm.cpuPlatform })
    expect(sw.db.vmmGet(running.vmm.id)).toMatchObject({ state: 'destroyed' })
  })

  it('refuses a source VMM with the sled_default platform with omicron’s 400, before reserving anything', async () => {
    const sw = world({ sleds: [{ cpuFamily: 'unknown' }, { cpuFamily: 'unknown' }] })
    const running = await runningInstance(sw)

    const outcome = await migrate(sw, migrateParams(running))

    expect(running.vmm.cpuPlatform).toBe('sled_default')
    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'reserve-resources' })
    expect(errorOf(outcome)).toMatchObject({ statusCode: 400, errorCode: 'InvalidRequest', message: NO_COMPATIBLE_SLED_FAMILIES_MESSAGE })
    checkUnwoundMigrate(sw, running, 'reserve-resources')
  })

  it.each([
    ['not in service', [{}, { policy: 'no_provision' }], null],
    ['full', [{}, { hardwareThreads: 1 }], null],
    ['of a CPU family that cannot host the source VMM’s platform', [{ cpuFamily: 'amd_turin' }, { cpuFamily: 'amd_milan' }], 'amd_turin'],
  ] as const)('fails placement with 507 when the destination is %s', async (_label, sleds, cpuPlatform) => {
    const sw = world({ sleds })
    const running = await runningInstance(sw, { cpuPlatform })

    const outcome = await migrate(sw, migrateParams(running))

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'reserve-resources' })
    expect(errorOf(outcome)).toMatchObject({
      statusCode: 507,
      errorCode: 'InsufficientCapacity',
      message: 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed',
    })
    checkUnwoundMigrate(sw, running, 'reserve-resources')
  })

  it('refuses a second migration while the first holds its target reservation: 409 Instance already migrating', async () => {
    const sw = world({ sleds: 3 })
    const running = await runningInstance(sw)
    const first = await migrate(sw, migrateParams(running))

    const second = await migrate(sw, { ...migrateParams(running), dstSledId: sw.h.sleds[2]?.id ?? running.dstSledId })

    expect(first.kind).toBe('succeeded')
    expect(second).toMatchObject({ kind: 'unwound', failedNode: 'reserve-resources' })
    expect(errorOf(second)).toMatchObject({ statusCode: 409, errorCode: 'Conflict', message: 'Instance already migrating' })
  })

  it('loses the race for the migration ids with 409 when the source stopped running after admission', async () => {
    const sw = world()
    const running = await runningInstance(sw)
    const source = sw.h.sleds.find((s) => s.id === running.vmm.sledId)
    if (source === undefined) throw new Error('no source sled')
    await sw.drive(sw.h.putState(source, running.vmm.id, { type: 'stopped' }))

    const outcome = await migrate(sw, migrateParams(running))

    expect(sw.db.vmmGet(running.vmm.id)?.state).toBe('destroyed')
    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'set-migration-ids' })
    expect(errorOf(outcome)).toMatchObject({ statusCode: 409, errorCode: 'Conflict', message: 'another migration is already in progress' })
    expect(sw.db.sledReservationList({ sledId: running.dstSledId })).toEqual([])
  })

  it('leaves the ids of an unwound migration in place, and the next migration clobbers them', async () => {
    const sw = world()
    const running = await runningInstance(sw)
    sw.faults.failAt(instanceMigrateSaga.name, 'instance-migrate')
    const unwound = await migrate(sw, migrateParams(running))
    const left = sw.db.instanceGet(running.instance.id)

    const retried = await migrate(sw, { ...migrateParams(running), instance: left ?? running.instance })

    expect(unwound).toMatchObject({ kind: 'unwound', failedNode: 'instance-migrate' })
    expect(left).toMatchObject({ migrationId: expect.any(String), targetPropolisId: expect.any(String) })
    expect(retried.kind).toBe('succeeded')
    expect(sw.db.instanceGet(running.instance.id)?.migrationId).not.toBe(left?.migrationId)
  })

  it('unwinds without marking anything failed when the destination sled-agent refuses the registration', async () => {
    const sw = world()
    const running = await runningInstance(sw)
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_register', respond: { status: 500, message: 'boom' } })

    const outcome = await migrate(sw, migrateParams(running))

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'ensure-destination-propolis' })
    expect(errorOf(outcome)).toMatchObject({ statusCode: 500 })
    checkUnwoundMigrate(sw, running, 'ensure-destination-propolis')
    expect(sw.updatesRun).toEqual([])
  })

  it('unwinds when the target refuses to migrate in, unregistering it from the destination', async () => {
    const sw = world()
    const running = await runningInstance(sw)
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', respond: { status: 503, message: 'busy' } })

    const outcome = await migrate(sw, migrateParams(running))

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'instance-migrate' })
    expect(errorOf(outcome)).toMatchObject({ statusCode: 503, errorCode: 'ServiceNotAvailable' })
    checkUnwoundMigrate(sw, running, 'instance-migrate')
  })

  it('is stuck when unregistering the target answers 404 NO_SUCH_INSTANCE, the inverted-looking branch omicron has', async () => {
    const sw = world()
    const running = await runningInstance(sw)
    sw.faults.failAt(instanceMigrateSaga.name, 'instance-migrate')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_unregister', respond: { status: 404, errorCode: 'NO_SUCH_INSTANCE', message: 'gone' } })

    const outcome = await migrate(sw, migrateParams(running))

    expect(outcome).toMatchObject({ kind: 'stuck', failedNode: 'instance-migrate', undoNode: 'ensure-destination-propolis' })
    expect(sw.updatesRun).toEqual([])
  })

  it('treats any other unregister error as the target being gone and unwinds to the end', async () => {
    const sw = world()
    const running = await runningInstance(sw)
    sw.faults.failAt(instanceMigrateSaga.name, 'instance-migrate')
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_unregister', respond: 'network_error' })

    const outcome = await migrate(sw, migrateParams(running))

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: 'instance-migrate' })
  })
})

describe('the instance-migrate saga under the saga harness', () => {
  it('unwinds from every node, leaving the target saga_unwound, the migration failed on both sides, nothing reserved on the destination, and ids the next update clears', async () => {
    const report = await expectUnwindsFromEveryNode(instanceMigrateSaga, () => migrateSagaTestWorld())

    expect(report.runs).toEqual(['no fault', ...NODES.map((n) => `failing at ${n}`)])
  })

  it('ends the same with every action, and every undo, run twice', async () => {
    const report = await expectActionsIdempotent(instanceMigrateSaga, () => migrateSagaTestWorld())

    expect(report.runs).toHaveLength(1 + NODES.length)
  })

  it('recovers from a Nexus crash at every step to the same end, forward and unwinding', async () => {
    const report = await expectCrashRecoveryEverywhere(instanceMigrateSaga, () => migrateSagaTestWorld())

    expect(report.runs.length).toBeGreaterThan(2 * NODES.length)
  })
})
