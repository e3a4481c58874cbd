// Operator migration end to end: Nexus's instance-migrate saga over MSW to simulated sleds whose
// Propolis servers migrate the guest, and the instance-update saga acting on how it ended.
import { afterEach, describe, expect, it } from 'vitest'
import type { NexusApiError } from '../../nexus/app/errors.ts'
import type { VmmRecord } from '../../nexus/db/records.ts'
import { instanceMigrateSaga } from '../../nexus/sagas/instance-migrate.ts'
import { typedUuid, type InstanceUuid } from '../../sim/kernel/ids.ts'
import type { FaultablePhase } from '../../sim/propolis/migration-phases.ts'
import type { SimSled } from '../../sim/sled-agent/sled.ts'
import { createFullWorld, type FullWorld } from '../support/full-world.ts'

let w: FullWorld
afterEach(() => w.dispose())

const GIB = 1024 ** 3

interface Running {
  readonly instanceId: InstanceUuid
  readonly source: VmmRecord
  readonly sourceSled: SimSled
  readonly destination: SimSled
}

/** `db1` created with start and booted; it runs on one sled and the other is the destination. */
async function runningInstance(options: Parameters<typeof createFullWorld>[0] = {}): Promise<Running> {
  w = createFullWorld(options)
  const { nexus, h } = w
  const created = await h.settleCall(nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))
  await w.clock.advance(10_000)
  const instanceId = typedUuid('instance', created.id)
  const source = nexus.db.instanceFetchWithVmm(instanceId)?.vmm ?? null
  const sourceSled = h.sleds.find((s) => s.id === source?.sledId)
  const destination = h.sleds.find((s) => s.id !== source?.sledId)
  if (source === null || source.state !== 'running' || sourceSled === undefined || destination === undefined) throw new Error('db1 is not running')
  return { instanceId, source, sourceSled, destination }
}

/** The error `work` rejects with once driven. */
async function rejection(work: Promise<unknown>): Promise<NexusApiError> {
  try {
    await w.h.settleCall(work)
  } catch (error) {
    return error as NexusApiError
  }
  throw new Error('expected the call to fail, but it succeeded')
}

function sagaStates(name: string): string[] {
  return w.nexus.db
    .sagaList()
    .filter((s) => s.name === name)
    .map((s) => s.state)
}

describe('an operator migration', () => {
  it('moves a running instance to the destination: the target becomes active, the source is destroyed, reservations swap and provisioning stays', async () => {
    const { instanceId, source, destination } = await runningInstance()
    const { nexus } = w
    const provisioned = nexus.db.provisioningRead()

    const answered = await w.h.settleCall(nexus.instances.migrate('db1', { dstSled: destination.id }))
    await w.clock.advance(10_000)
    const reservationsBeforeReaper = nexus.db.sledReservationList()
    await w.h.settleCall(nexus.activate('abandoned_vmm_reaper'))

    expect(answered.runState).toBe('migrating')
    expect(nexus.instances.view('db1').runState).toBe('running')
    const after = nexus.db.instanceFetchAll(instanceId)
    const target = after?.activeVmm ?? null
    expect(after?.instance).toMatchObject({ state: 'vmm', migrationId: null, targetPropolisId: null, intendedState: 'running' })
    expect(target).toMatchObject({ sledId: destination.id, state: 'running', cpuPlatform: source.cpuPlatform })
    expect(target?.id).not.toBe(source.id)
    expect(nexus.db.vmmGet(source.id, { includeDeleted: true })).toMatchObject({ state: 'destroyed', timeDeleted: expect.any(Number) })
    expect(nexus.db.migrationList()).toEqual([
      expect.objectContaining({ sourcePropolisId: source.id, targetPropolisId: target?.id, sourceState: 'completed', targetState: 'completed' }),
    ])
    expect(reservationsBeforeReaper.map((r) => [r.id, r.sledId, r.state])).toEqual([
      [source.id, source.sledId, 'tombstoned'],
      [target?.id, destination.id, 'active'],
    ])
    expect(nexus.db.sledReservationList().map((r) => [r.id, r.state])).toEqual([[target?.id, 'active']])
    expect(nexus.db.provisioningRead()).toEqual(provisioned)
    expect(destination.vmmViews().map((v) => v.propolisId)).toEqual([target?.id])
    expect(sagaStates('instance_migrate')).toEqual(['succeeded'])
  })

  it('can migrate the instance back to the sled it came from', async () => {
    const { sourceSled, destination } = await runningInstance()
    await w.h.settleCall(w.nexus.instances.migrate('db1', { dstSled: destination.id }))
    await w.clock.advance(10_000)

    await w.h.settleCall(w.nexus.instances.migrate('db1', { dstSled: sourceSled.id }))
    await w.clock.advance(10_000)

    expect(w.nexus.instances.view('db1').runState).toBe('running')
    expect(w.nexus.db.instanceFetchWithVmm(typedUuid('instance', w.nexus.instances.view('db1').id))?.vmm).toMatchObject({ sledId: sourceSled.id, state: 'running' })
    expect(sagaStates('instance_migrate')).toEqual(['succeeded', 'succeeded'])
  })

  // Phases after the sync phase: the target's ensure has answered, so the saga has succeeded.
  const LATER_PHASES: readonly FaultablePhase[] = ['RamPush', 'Device', 'Server']

  describe.each(['source', 'target'] as const)('that fails on the %s side', (side) => {
    it.each(LATER_PHASES)('at %s leaves the instance running on its source, the migration failed, and the target gone', async (phase) => {
      const { instanceId, source, sourceSled, destination } = await runningInstance()
      const { nexus } = w
      const provisioned = nexus.db.provisioningRead()
      // A fault armed on the source's server reaches whichever side it names once the target dials in.
      sourceSled.vmms.get(source.id)?.propolis?.failNextMigration({ side, phase })

      await w.h.settleCall(nexus.instances.migrate('db1', { dstSled: destination.id }))
      await w.clock.advance(10_000)
      const target = nexus.db.vmmList({ instanceId }).find((v) => v.id !== source.id)
      await w.h.settleCall(nexus.activate('abandoned_vmm_reaper'))

      expect(nexus.instances.view('db1').runState).toBe('running')
      expect(nexus.db.instanceFetchAll(instanceId)).toMatchObject({
        instance: { state: 'vmm', activePropolisId: source.id, migrationId: null, targetPropolisId: null },
        activeVmm: { state: 'running', sledId: source.sledId },
      })
      expect(nexus.db.migrationList()).toEqual([expect.objectContaining({ sourceState: 'failed', targetState: 'failed' })])
      expect(target).toMatchObject({ sledId: destination.id, state: 'failed' })
      expect(nexus.db.vmmGet(target?.id ?? source.id, { includeDeleted: true })?.timeDeleted).not.toBeNull()
      expect(nexus.db.sledReservationList().map((r) => [r.id, r.state])).toEqual([[source.id, 'active']])
      expect(nexus.db.provisioningRead()).toEqual(provisioned)
      expect(destination.vmmViews()).toEqual([])
      expect(sagaStates('instance_migrate')).toEqual(['succeeded'])
    })

    it('in the sync phase fails the request with 500, since the target’s ensure fails, and leaves the instance running on its source', async () => {
      const { instanceId, source, sourceSled, destination } = await runningInstance()
      const { nexus } = w
      sourceSled.vmms.get(source.id)?.propolis?.failNextMigration({ side, phase: 'Sync' })

      const error = await rejection(nexus.instances.migrate('db1', { dstSled: destination.id }))
      await w.clock.advance(10_000)

      expect(error).toMatchObject({ statusCode: 500, errorCode: 'Internal', message: 'Internal Server Error' })
      expect(sagaStates('instance_migrate')).toEqual(['unwound'])
      expect(nexus.instances.view('db1').runState).toBe('running')
      expect(nexus.db.instanceGet(instanceId)).toMatchObject({ activePropolisId: source.id, migrationId: null, targetPropolisId: null })
      expect(nexus.db.migrationList()).toEqual([expect.objectContaining({ sourceState: 'failed', targetState: 'failed' })])
      // The target's own failure report reached Nexus first, and its update saga destroyed it.
      expect(nexus.db.vmmList({ instanceId, deleted: true })).toEqual([expect.objectContaining({ sledId: destination.id, state: 'failed', failureReason: 'from_sled_agent' })])
      expect(nexus.db.sledReservationList().map((r) => [r.id, r.state])).toEqual([[source.id, 'active']])
      expect(destination.vmmViews()).toEqual([])
    })
  })

  it('that unwinds leaves the instance reading migrating until the instance updater clears the ids, after which it may migrate again', async () => {
    const { instanceId, source, destination } = await runningInstance()
    const { nexus } = w
    nexus.sagaFaults.failAt(instanceMigrateSaga.name, 'instance-migrate')

    const failed = await rejection(nexus.instances.migrate('db1', { dstSled: destination.id }))
    const left = nexus.db.instanceFetchAll(instanceId)
    const readsWhileLeft = nexus.instances.view('db1').runState
    await w.h.settleCall(nexus.activate('instance_updater'))
    const cleared = nexus.db.instanceGet(instanceId)
    await w.h.settleCall(nexus.activate('abandoned_vmm_reaper'))
    await w.h.settleCall(nexus.instances.migrate('db1', { dstSled: destination.id }))
    await w.clock.advance(10_000)

    expect(failed.statusCode).toBe(500)
    expect(left).toMatchObject({ targetVmm: { state: 'saga_unwound' }, migration: { sourceState: 'failed', targetState: 'failed' } })
    expect(readsWhileLeft).toBe('migrating')
    expect(cleared).toMatchObject({ activePropolisId: source.id, migrationId: null, targetPropolisId: null })
    expect(nexus.db.vmmGet(left?.targetVmm?.id ?? source.id, { includeDeleted: true })?.timeDeleted).not.toBeNull()
    expect(nexus.instances.view('db1').runState).toBe('running')
    expect(nexus.db.instanceFetchWithVmm(instanceId)?.vmm).toMatchObject({ sledId: destination.id, state: 'running' })
    expect(sagaStates('instance_migrate')).toEqual(['unwound', 'succeeded'])
  })
})

describe('an operator migration through a Nexus crash', () => {
  it.each(['set-migration-ids', 'ensure-destination-propolis', 'instance-migrate'])(
    'is recovered by the restarted Nexus when it dies right after %s, and the instance ends on the destination',
    async (node) => {
      const { instanceId, source, destination } = await runningInstance()
      const { nexus } = w
      nexus.sagaFaults.crashNexusAfter(instanceMigrateSaga.name, node)

      const error = await rejection(nexus.instances.migrate('db1', { dstSled: destination.id }))
      const recovered = await w.h.settleCall(nexus.restart())
      await w.clock.advance(10_000)

      expect(error.statusCode).toBe(503)
      expect(recovered.map((r) => [r.name, r.outcome.kind])).toEqual([['instance_migrate', 'succeeded']])
      expect(nexus.instances.view('db1').runState).toBe('running')
      expect(nexus.db.instanceFetchAll(instanceId)).toMatchObject({ instance: { migrationId: null, targetPropolisId: null }, activeVmm: { sledId: destination.id, state: 'running' } })
      expect(nexus.db.vmmGet(source.id, { includeDeleted: true })?.state).toBe('destroyed')
    },
  )
})

describe('operator migration admission', () => {
  it('refuses an instance that is not running with 400', async () => {
    const { destination } = await runningInstance()
    await w.h.settleCall(w.nexus.instances.stop('db1'))
    await w.clock.advance(10_000)

    const error = await rejection(w.nexus.instances.migrate('db1', { dstSled: destination.id }))

    expect(error).toMatchObject({ statusCode: 400, errorCode: 'InvalidRequest', message: 'instance must be running before it can migrate' })
  })

  it('refuses an instance whose VMM is still starting with 400: the VMM record must be exactly running', async () => {
    w = createFullWorld()
    const destination = w.h.sleds[1]
    await w.h.settleCall(w.nexus.instances.create({ name: 'db1', ncpus: 2, memory: 4 * GIB, start: true }))

    const error = await rejection(w.nexus.instances.migrate('db1', { dstSled: destination?.id ?? typedUuid('sled', '00000000-0000-4000-8000-000000000000') }))

    expect(error).toMatchObject({ statusCode: 400, message: 'instance must be running before it can migrate' })
  })

  it('refuses the sled the instance already runs on with 400', async () => {
    const { sourceSled } = await runningInstance()

    const error = await rejection(w.nexus.instances.migrate('db1', { dstSled: sourceSled.id }))

    expect(error).toMatchObject({ statusCode: 400, errorCode: 'InvalidRequest', message: 'instance is already running on destination sled' })
  })

  it('refuses an instance that still has migration ids with 409, even after its migrate saga unwound', async () => {
    const { destination } = await runningInstance()
    w.nexus.sagaFaults.failAt(instanceMigrateSaga.name, 'instance-migrate')
    await rejection(w.nexus.instances.migrate('db1', { dstSled: destination.id }))

    const error = await rejection(w.nexus.instances.migrate('db1', { dstSled: destination.id }))

    expect(error).toMatchObject({ statusCode: 409, errorCode: 'Conflict', message: 'instance is already migrating' })
  })

  it('refuses a destination that is not in service with the placement 507', async () => {
    const { destination } = await runningInstance()
    w.nexus.db.sledSetPolicy(destination.id, 'no_provision')

    const error = await rejection(w.nexus.instances.migrate('db1', { dstSled: destination.id }))

    expect(error).toMatchObject({
      statusCode: 507,
      errorCode: 'InsufficientCapacity',
      message: 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed',
    })
    expect(w.nexus.instances.view('db1').runState).toBe('running')
  })

  it('answers 404 for an instance that does not exist', async () => {
    const { destination } = await runningInstance()

    const error = await rejection(w.nexus.instances.migrate('db2', { dstSled: destination.id }))

    expect(error).toMatchObject({ statusCode: 404, errorCode: 'ObjectNotFound', message: 'not found: instance with name "db2"' })
  })
})
