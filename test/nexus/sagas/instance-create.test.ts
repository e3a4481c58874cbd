import { afterEach, describe, expect, it } from 'vitest'
import { NexusApiError } from '../../../nexus/app/errors.ts'
import { startFailureOf } from '../../../nexus/app/start-failure.ts'
import { instanceCreate, instanceCreateSaga, type InstanceCreateParams, type InstanceCreateRequest } from '../../../nexus/sagas/instance-create.ts'
import type { NexusSagaServices } from '../../../nexus/sagas/saga-services.ts'
import { effectiveInstanceState } from '../../../nexus/types/effective-instance-state.ts'
import { GIB, StartWorld, type StartWorldOptions, type WorldSnapshot } from '../../support/start-world.ts'
import { expectActionsIdempotent, expectCrashRecoveryEverywhere, expectUnwindsFromEveryNode, type SagaTestWorld } from './saga-harness.ts'

let w: StartWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

function world(options: StartWorldOptions = {}): StartWorld {
  w = new StartWorld(options)
  return w
}

const create = (sw: StartWorld, request: InstanceCreateRequest) =>
  sw.drive(instanceCreate({ db: sw.db, ids: sw.ids, trace: sw.h.trace, projectId: sw.projectId, sagas: sw.executor }, request))

function createSagaWorld(start = false): SagaTestWorld<InstanceCreateParams, NexusSagaServices, WorldSnapshot> {
  const sw = new StartWorld()
  const spread = sw.ids.uuid('anti_affinity_group')
  const together = sw.ids.uuid('affinity_group')
  sw.db.affinityGroupCreate({ kind: 'anti_affinity', id: spread, projectId: sw.projectId, name: 'spread', description: '', policy: 'fail' })
  sw.db.affinityGroupCreate({ kind: 'affinity', id: together, projectId: sw.projectId, name: 'together', description: '', policy: 'allow' })
  const params: InstanceCreateParams = {
    instanceId: sw.ids.uuid('instance'),
    projectId: sw.projectId,
    name: 'db1',
    description: '',
    hostname: 'db1',
    ncpus: 2,
    memory: 4 * GIB,
    start,
    autoRestartPolicy: null,
    autoRestartCooldownMs: null,
    cpuPlatform: null,
    antiAffinityGroupIds: [spread],
    affinityGroupIds: [together],
  }
  const members = () => [...sw.db.affinityGroupMemberList(spread), ...sw.db.affinityGroupMemberList(together)]
  return {
    db: sw.db,
    services: sw.services,
    params,
    clock: sw.h.clock,
    trace: sw.h.trace,
    snapshot: () => sw.snapshot(),
    check: (ending) => {
      const live = sw.db.instanceGet(params.instanceId)
      if (ending.kind === 'succeeded' && (live?.state !== 'no_vmm' || live.gen !== 2 || live.intendedState !== (start ? 'running' : 'stopped'))) {
        throw new Error(`created instance is ${JSON.stringify(live)}`)
      }
      if (ending.kind === 'succeeded' && members().join() !== [params.instanceId, params.instanceId].join()) throw new Error(`memberships are ${members().join()}`)
      if (ending.kind === 'unwound' && live !== null) throw new Error(`instance left behind in state ${live.state}`)
      if (ending.kind === 'unwound' && members().length > 0) throw new Error(`memberships left behind: ${members().join()}`)
    },
    drive: (work) => sw.drive(work, 0),
    dispose: () => sw.dispose(),
  }
}

describe('the instance-create saga under the saga harness', () => {
  it('unwinds from every node, deleting the record and its group memberships', async () => {
    const report = await expectUnwindsFromEveryNode(instanceCreateSaga, () => createSagaWorld())

    expect(report.runs).toEqual(['no fault', 'failing at create-instance-record', 'failing at add-to-affinity-groups', 'failing at move-to-stopped'])
  })

  it('ends the same with every action, and every undo, run twice', async () => {
    await expectActionsIdempotent(instanceCreateSaga, () => createSagaWorld(true))
  })

  it('recovers from a Nexus crash at every step to the same end', async () => {
    await expectCrashRecoveryEverywhere(instanceCreateSaga, () => createSagaWorld())
  })
})

describe('instanceCreate', () => {
  it('creates a stopped instance at generation 2 with intent stopped, and starts nothing', async () => {
    const sw = world()

    const result = await create(sw, { name: 'db1', ncpus: 2, memory: 4 * GIB })

    expect(result.start).toBeNull()
    expect(result.instance).toMatchObject({ name: 'db1', hostname: 'db1', state: 'no_vmm', gen: 2, intendedState: 'stopped', ncpus: 2, memory: 4 * GIB })
    expect(sw.db.sagaList().map((s) => [s.name, s.state])).toEqual([['instance_create', 'succeeded']])
  })

  it('starts the instance with reason auto_start after the create saga when asked', async () => {
    const sw = world()

    const result = await create(sw, { name: 'db1', ncpus: 2, memory: 4 * GIB, start: true, autoRestartPolicy: 'never' })

    expect(result.start?.kind).toBe('started')
    expect(sw.db.sagaList().map((s) => [s.name, s.state])).toEqual([
      ['instance_create', 'succeeded'],
      ['instance_start', 'succeeded'],
    ])
    const found = sw.db.instanceFetchWithVmm(result.instance.id)
    expect(found === null ? null : effectiveInstanceState({ instance: found.instance, activeVmm: found.vmm }).runState).toBe('running')
    expect(found?.instance).toMatchObject({ intendedState: 'running', autoRestartPolicy: 'never', timeLastAutoRestarted: null })
  })

  it('refuses a name already in use with 400 ObjectAlreadyExists and leaves the first instance alone', async () => {
    const sw = world()
    const first = await create(sw, { name: 'db1', ncpus: 2, memory: 4 * GIB })

    const error = await sw.driveToError(instanceCreate({ db: sw.db, ids: sw.ids, trace: sw.h.trace, projectId: sw.projectId, sagas: sw.executor }, { name: 'db1', ncpus: 1, memory: GIB }))

    expect(error instanceof NexusApiError ? [error.statusCode, error.errorCode, error.message] : error).toEqual([400, 'ObjectAlreadyExists', 'already exists: instance "db1"'])
    expect(sw.db.instanceList().map((i) => [i.id, i.ncpus])).toEqual([[first.instance.id, 2]])
    expect(sw.db.sagaList().map((s) => [s.state, s.failedNode])).toEqual([
      ['succeeded', null],
      ['unwound', 'create-instance-record'],
    ])
  })

  it('frees the name when the create unwinds, so a retry with it succeeds', async () => {
    const sw = world()
    sw.faults.failAt('instance_create', 'move-to-stopped')
    await sw.driveToError(instanceCreate({ db: sw.db, ids: sw.ids, trace: sw.h.trace, projectId: sw.projectId, sagas: sw.executor }, { name: 'db1', ncpus: 2, memory: GIB }))

    const retried = await create(sw, { name: 'db1', ncpus: 2, memory: GIB })

    expect(retried.instance.state).toBe('no_vmm')
    expect(sw.db.instanceList({ includeDeleted: true }).map((i) => i.state)).toEqual(['destroyed', 'no_vmm'])
  })

  it('still succeeds when the start after it fails in the background: stopped, intent running, the failure only traced', async () => {
    const sw = world({ sleds: [{ hardwareThreads: 1 }] })

    const result = await create(sw, { name: 'db1', ncpus: 2, memory: 4 * GIB, start: true })

    expect(result.start?.kind === 'failed' ? [result.start.error.statusCode, result.start.error.errorCode] : result.start).toEqual([507, 'InsufficientCapacity'])
    expect(result.instance).toMatchObject({ state: 'no_vmm', intendedState: 'running' })
    expect(sw.h.trace.lines().filter((l) => l.includes('nexus.auto_start_failed'))).toHaveLength(1)
    expect(startFailureOf(sw.db, result.instance.id)).toBeNull()
  })

  it('records the background start failure with reason auto_start when recordStartFailures is on', async () => {
    const sw = world({ flags: { recordStartFailures: true } })
    sw.h.network.faults.inject({ target: 'sled-agent', operation: 'vmm_put_state', times: 1, respond: { status: 500, message: 'propolis would not start' } })

    const result = await create(sw, { name: 'db1', ncpus: 2, memory: 4 * GIB, start: true })

    expect(result.start?.kind).toBe('failed')
    expect(startFailureOf(sw.db, result.instance.id)).toMatchObject({ startReason: 'auto_start', failedNode: 'ensure-running', statusCode: 500, detail: 'propolis would not start' })
    expect(sw.db.instanceGet(result.instance.id)).toMatchObject({ state: 'no_vmm', intendedState: 'running' })
  })
})
