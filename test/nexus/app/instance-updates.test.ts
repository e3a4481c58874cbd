import { describe, expect, it } from 'vitest'
import { InstanceUpdateRunner } from '../../../nexus/app/instance-updates.ts'
import { VmmIntake } from '../../../nexus/app/vmm-intake.ts'
import { SHIPPING_FLAGS } from '../../../nexus/nexus-config.ts'
import { SagaExecutor } from '../../../nexus/sagas/executor.ts'
import { instanceUpdateSaga } from '../../../nexus/sagas/instance-update.ts'
import { START_INSTANCE_UPDATE_SAGA_NAME, startInstanceUpdateSaga } from '../../../nexus/sagas/instance-update-start.ts'
import { NexusCrashedError } from '../../../nexus/sagas/saga-errors.ts'
import { SagaFaults } from '../../../nexus/sagas/saga-faults.ts'
import { SagaRegistry } from '../../../nexus/sagas/saga-registry.ts'
import type { NexusSagaServices } from '../../../nexus/sagas/saga-services.ts'
import { failedVmmState, vmmState, type VmmState } from '../../../nexus/types/vmm-state.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import type { InstanceUuid } from '../../../sim/kernel/ids.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import { nextGeneration } from '../../../sim/sled-agent/api/index.ts'
import { RecordingUpdates } from '../../support/nexus-world.ts'
import { addRunningInstance, addSled, mustInstance, testDb, type TestDb } from '../db/db-fixtures.ts'

interface RunnerWorld {
  readonly t: TestDb
  readonly trace: Trace
  readonly executor: SagaExecutor<NexusSagaServices>
  readonly runner: InstanceUpdateRunner
  readonly instanceId: InstanceUuid
  readonly backstops: InstanceUuid[]
  readonly reincarnations: InstanceUuid[]
}

/** A running instance whose active VMM just reported `state`, and a runner over a fresh executor. */
function runnerWorld(state: VmmState, options: { readonly faults?: SagaFaults; readonly registry?: SagaRegistry<NexusSagaServices> } = {}): RunnerWorld {
  const t = testDb()
  const clock = new VirtualClock()
  const trace = new Trace(clock)
  addSled(t)
  const { instance, vmm } = addRunningInstance(t, 'db1')
  t.db.vmmUpdateRuntime(vmm.id, { state, generation: nextGeneration(vmm.gen), timeUpdated: t.now() })
  const noSled = () => {
    throw new Error('instance-update calls no sled')
  }
  const intake = new VmmIntake({ db: t.db, trace, clock, updates: new RecordingUpdates(), sledClient: noSled })
  const services: NexusSagaServices = { db: t.db, ids: t.ids, flags: SHIPPING_FLAGS, intake, sledClient: noSled }
  const executor = new SagaExecutor({ db: t.db, trace, clock, ids: t.ids, services, faults: options.faults ?? new SagaFaults(), ...(options.registry === undefined ? {} : { registry: options.registry }) })
  const backstops: InstanceUuid[] = []
  const reincarnations: InstanceUuid[] = []
  const runner = new InstanceUpdateRunner({
    executor: () => executor,
    trace,
    onBackstop: (id) => backstops.push(id),
    onReincarnation: (id) => reincarnations.push(id),
  })
  return { t, trace, executor, runner, instanceId: instance.id, backstops, reincarnations }
}

/** Lets the callbacks the runner defers run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

describe('InstanceUpdateRunner', () => {
  it('runs the update saga to its end and activates nothing when it succeeds', async () => {
    const w = runnerWorld(vmmState('destroyed'))

    await w.runner.run(w.instanceId)
    await flush()

    expect(mustInstance(w.t, w.instanceId)).toMatchObject({ state: 'no_vmm', updaterId: null })
    expect([w.backstops, w.reincarnations]).toEqual([[], []])
  })

  it('spawns the saga in the background and returns before it ends', async () => {
    const w = runnerWorld(vmmState('destroyed'))

    w.runner.spawn(w.instanceId)
    const rightAfter = mustInstance(w.t, w.instanceId).state
    await w.runner.idle()

    expect(rightAfter).toBe('vmm')
    expect(mustInstance(w.t, w.instanceId).state).toBe('no_vmm')
    expect(w.executor.running()).toEqual([])
  })

  it('hands an instance whose VMM failed to reincarnation', async () => {
    const w = runnerWorld(failedVmmState('sled_expunged'))

    await w.runner.run(w.instanceId)
    await flush()

    expect(mustInstance(w.t, w.instanceId).state).toBe('failed')
    expect(w.reincarnations).toEqual([w.instanceId])
  })

  it.each(['spawn', 'run'] as const)('activates the instance updater when a saga from %s unwinds', async (how) => {
    const faults = new SagaFaults()
    faults.failAt(startInstanceUpdateSaga.name, 'fetch-state-and-start-real-saga')
    const w = runnerWorld(vmmState('destroyed'), { faults })

    if (how === 'spawn') w.runner.spawn(w.instanceId)
    else await w.runner.run(w.instanceId)
    await w.runner.idle()
    await flush()

    expect(w.backstops).toEqual([w.instanceId])
    expect(mustInstance(w.t, w.instanceId)).toMatchObject({ state: 'vmm', updaterId: null })
  })

  it('activates the instance updater when the real saga fails under a successful start saga', async () => {
    const faults = new SagaFaults()
    faults.failAt(instanceUpdateSaga.name, 'commit-instance-updates')
    const w = runnerWorld(vmmState('destroyed'), { faults })

    await w.runner.run(w.instanceId)
    await flush()

    // Once from the real saga's unwinding, once from the start saga that saw it fail, as in omicron.
    expect(new Set(w.backstops)).toEqual(new Set([w.instanceId]))
    expect(mustInstance(w.t, w.instanceId).updaterId).toBeNull()
  })

  it.each(['spawn', 'run'] as const)('activates the instance updater when a saga cannot start (%s)', async (how) => {
    const registry = new SagaRegistry<NexusSagaServices>()
    registry.register({ name: START_INSTANCE_UPDATE_SAGA_NAME, nodes: [{ name: 'impostor', action: () => Promise.resolve(null), undo: null }] })
    const w = runnerWorld(vmmState('destroyed'), { registry })

    if (how === 'spawn') w.runner.spawn(w.instanceId)
    else await w.runner.run(w.instanceId)
    await flush()

    expect(w.backstops).toEqual([w.instanceId])
    expect(w.trace.lines().filter((l) => l.includes('instance_update.activation_requested'))).toEqual([
      expect.stringContaining('reason="could not start an update saga: saga register failed: another saga is already registered as start-instance-update"'),
    ])
  })

  it('activates nothing for a crashed Nexus: spawn does nothing and run rejects', async () => {
    const w = runnerWorld(vmmState('destroyed'))
    w.executor.crash('test')

    w.runner.spawn(w.instanceId)
    const ran = await w.runner.run(w.instanceId).then(() => null, (e: unknown) => e)
    await flush()

    expect(ran).toBeInstanceOf(NexusCrashedError)
    expect(w.backstops).toEqual([])
  })

  it('says how a run ended, for the instance-updater task to count', async () => {
    const faults = new SagaFaults()
    faults.failAt(startInstanceUpdateSaga.name, 'lock-instance')
    const failing = runnerWorld(vmmState('destroyed'), { faults })
    const working = runnerWorld(vmmState('destroyed'))

    expect(await failing.runner.runWithResult(failing.instanceId)).toMatchObject({ kind: 'saga_failed' })
    expect(await working.runner.runWithResult(working.instanceId)).toMatchObject({ kind: 'succeeded' })
  })

  it('stops forwarding activations once disposed', async () => {
    const faults = new SagaFaults()
    faults.failAt(startInstanceUpdateSaga.name, 'lock-instance')
    const w = runnerWorld(vmmState('destroyed'), { faults })
    w.runner.dispose()

    await w.runner.run(w.instanceId)
    await flush()

    expect(w.backstops).toEqual([])
    expect(w.trace.lines().filter((l) => l.includes('activation_requested'))).toHaveLength(1)
  })
})
