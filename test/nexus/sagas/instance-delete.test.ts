import { describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import { deleteInstance } from '../../../nexus/app/instance-delete.ts'
import { VmmIntake } from '../../../nexus/app/vmm-intake.ts'
import { SHIPPING_FLAGS } from '../../../nexus/nexus-config.ts'
import { instanceDeleteSaga, type InstanceDeleteParams } from '../../../nexus/sagas/instance-delete.ts'
import { SagaExecutor } from '../../../nexus/sagas/executor.ts'
import { SagaFaults } from '../../../nexus/sagas/saga-faults.ts'
import type { NexusSagaServices } from '../../../nexus/sagas/saga-services.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import { RecordingUpdates } from '../../support/nexus-world.ts'
import { addRunningInstance, addStoppedInstance, testDb, type TestDb } from '../db/db-fixtures.ts'
import { expectActionsIdempotent, expectCrashRecoveryEverywhere, expectUnwindsFromEveryNode, type SagaTestWorld } from './saga-harness.ts'

function servicesFor(t: TestDb): NexusSagaServices {
  const clock = new VirtualClock()
  const intake = new VmmIntake({ db: t.db, trace: new Trace(clock), clock, updates: new RecordingUpdates(), sledClient: () => { throw new Error('instance-delete calls no sled') } })
  return { db: t.db, ids: t.ids, flags: SHIPPING_FLAGS, intake, sledClient: () => { throw new Error('instance-delete calls no sled') } }
}

function world(): SagaTestWorld<InstanceDeleteParams, NexusSagaServices, unknown> {
  const t = testDb()
  const instance = addStoppedInstance(t, 'db1')
  const migrationId = t.ids.uuid('migration')
  t.db.migrationInsert({ id: migrationId, instanceId: instance.id, sourcePropolisId: t.ids.uuid('propolis'), targetPropolisId: t.ids.uuid('propolis') })
  return {
    db: t.db,
    services: servicesFor(t),
    params: { instanceId: instance.id },
    snapshot: () => ({ instance: t.db.instanceGet(instance.id, { includeDeleted: true })?.state, migrations: t.db.migrationList({ instanceId: instance.id, deleted: true }).length }),
  }
}

describe('the instance-delete saga', () => {
  it('unwinds cleanly from every node, is idempotent, and recovers from a crash anywhere', async () => {
    const unwinds = await expectUnwindsFromEveryNode(instanceDeleteSaga, world)
    await expectActionsIdempotent(instanceDeleteSaga, world)
    await expectCrashRecoveryEverywhere(instanceDeleteSaga, world)

    expect(unwinds.runs).toHaveLength(3)
  })
})

describe('deleteInstance', () => {
  const executorFor = (t: TestDb) => {
    const clock = new VirtualClock()
    return new SagaExecutor({ db: t.db, trace: new Trace(clock), clock, ids: t.ids, services: servicesFor(t), faults: new SagaFaults() })
  }

  it('destroys a stopped instance and soft-deletes its migrations', async () => {
    const t = testDb()
    const instance = addStoppedInstance(t, 'db1')

    await deleteInstance(t.db, executorFor(t), instance.id)

    expect(t.db.instanceGet(instance.id)).toBeNull()
    expect(t.db.instanceGet(instance.id, { includeDeleted: true })).toMatchObject({ state: 'destroyed', intendedState: 'destroyed' })
  })

  it('refuses a running instance with 400, leaving the intent destroyed', async () => {
    const t = testDb()
    const { instance } = addRunningInstance(t, 'db1')

    const error = await deleteInstance(t.db, executorFor(t), instance.id).then(() => null, (e: unknown) => e)

    expect(error).toBeInstanceOf(NexusApiError)
    expect(error).toMatchObject({ statusCode: 400, errorCode: 'InvalidRequest', message: 'cannot delete instance: instance is running or has not yet fully stopped' })
    expect(t.db.instanceGet(instance.id)).toMatchObject({ state: 'vmm', intendedState: 'destroyed' })
  })

  it('refuses an instance still being created with 400', async () => {
    const t = testDb()
    const created = t.db.instanceInsert({ id: t.ids.uuid('instance'), name: 'db1', projectId: t.projectId, ncpus: 2, memory: 1024 ** 3, hostname: 'db1', intendedState: 'stopped' })
    if (created.kind !== 'inserted') throw new Error(created.kind)

    await expect(deleteInstance(t.db, executorFor(t), created.instance.id)).rejects.toMatchObject({
      statusCode: 400,
      errorCode: 'InvalidRequest',
      message: 'instance cannot be deleted in state "creating"',
    })
  })

  it('answers 404 for an instance that does not exist', async () => {
    const t = testDb()

    await expect(deleteInstance(t.db, executorFor(t), t.ids.uuid('instance'))).rejects.toMatchObject({ statusCode: 404, errorCode: 'ObjectNotFound' })
  })
})
