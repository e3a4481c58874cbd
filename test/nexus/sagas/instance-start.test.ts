import { afterEach, describe, expect, it } from 'vitest'
import { instanceStartSaga } from '../../../nexus/sagas/instance-start.ts'
import { effectiveInstanceState } from '../../../nexus/types/effective-instance-state.ts'
import type { InstanceUuid } from '../../../sim/kernel/ids.ts'
import { StartWorld, startSagaTestWorld } from '../../support/start-world.ts'
import { expectActionsIdempotent, expectCrashRecoveryEverywhere, expectUnwindsFromEveryNode } from './saga-harness.ts'

let w: StartWorld | null = null
afterEach(() => {
  w?.dispose()
  w = null
})

const NODES = instanceStartSaga.nodes.map((n) => n.name)

function world(options: ConstructorParameters<typeof StartWorld>[0] = {}): StartWorld {
  w = new StartWorld(options)
  return w
}

function runState(world: StartWorld, instanceId: InstanceUuid) {
  const found = world.db.instanceFetchWithVmm(instanceId)
  if (found === null) throw new Error('no instance')
  return effectiveInstanceState({ instance: found.instance, activeVmm: found.vmm }).runState
}

describe('the instance-start saga', () => {
  it('runs its nodes in omicron order, each action followed by its undo', () => {
    expect(NODES).toEqual(['generate-propolis-id', 'alloc-server', 'alloc-propolis-ip', 'create-vmm-record', 'mark-as-starting', 'ensure-registered', 'add-virtual-resources', 'ensure-running'])
    expect(instanceStartSaga.nodes.filter((n) => n.undo === null).map((n) => n.name)).toEqual(['alloc-propolis-ip', 'ensure-running'])
  })

  it('leaves the instance starting once the sled-agent accepts Run, and running once the VMM reports it', async () => {
    const sw = world()
    const instance = sw.stoppedInstance('db1')

    const result = await sw.drive(sw.start(instance.id), 0)
    const starting = runState(sw, instance.id)
    await sw.h.clock.advance(30_000)

    expect(result.kind).toBe('started')
    expect(starting).toBe('starting')
    expect(runState(sw, instance.id)).toBe('running')
    const found = sw.db.instanceFetchWithVmm(instance.id)
    expect(found?.instance).toMatchObject({ state: 'vmm', gen: instance.gen + 1, intendedState: 'running', timeLastAutoRestarted: null })
    expect(found?.vmm).toMatchObject({ state: 'running', cpuPlatform: 'amd_milan', propolisPort: 12400 })
    expect(sw.db.provisioningRead().fleet).toEqual({ cpus: 2, ram: 4 * 1024 ** 3 })
  })
})

describe('the instance-start saga under the saga harness', () => {
  it('unwinds from every node, leaving no reservation, provisioning or VMM behind and the instance stopped', async () => {
    const report = await expectUnwindsFromEveryNode(instanceStartSaga, () => startSagaTestWorld())

    expect(report.runs).toEqual(['no fault', ...NODES.map((n) => `failing at ${n}`)])
  })

  it('leaves the instance failed when it unwinds after marking it starting, with unwoundStartLeaves failed', async () => {
    await expectUnwindsFromEveryNode(instanceStartSaga, () => startSagaTestWorld({ flags: { unwoundStartLeaves: 'failed' } }))
  })

  it('ends the same with every action, and every undo, run twice', async () => {
    const report = await expectActionsIdempotent(instanceStartSaga, () => startSagaTestWorld())

    expect(report.runs).toHaveLength(1 + NODES.length)
  })

  it('recovers from a Nexus crash at every step to the same end, forward and unwinding', async () => {
    const report = await expectCrashRecoveryEverywhere(instanceStartSaga, () => startSagaTestWorld({ flags: { recordStartFailures: true } }))

    expect(report.runs.length).toBeGreaterThan(2 * NODES.length)
  })
})
