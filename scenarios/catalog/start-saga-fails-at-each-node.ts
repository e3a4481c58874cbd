// omicron's `test_action_failure_can_unwind` for instance-start, one instance per node: the start
// call's error, the saga unwound at that node, and what behaviour §1.4 says the unwind leaves.
import { scenario, type ScenarioBuilder } from '../define.ts'

const INTERNAL = { status: 500, errorCode: 'Internal', message: 'Internal Server Error' } as const

interface NodeCase {
  readonly node: string
  /** The instance's generation after the unwind: 2 unless MARK_AS_STARTING ran (3) and was undone (4). */
  readonly gen: number
  /** Whether CREATE_VMM_RECORD ran, so a VMM row is left `saga_unwound`; and its generation then. */
  readonly vmmGen: number | null
}

// generate-propolis-id … create-vmm-record: nothing about the instance changes and no VMM row is
// left; from mark-as-starting on, the VMM row stays `saga_unwound` and the instance is `no_vmm` again
// at gen + 2. A registered VMM (ensure-registered ran) was `starting` at gen 2, so it ends at gen 3.
const CASES: readonly NodeCase[] = [
  { node: 'generate-propolis-id', gen: 2, vmmGen: null },
  { node: 'alloc-server', gen: 2, vmmGen: null },
  { node: 'alloc-propolis-ip', gen: 2, vmmGen: null },
  { node: 'create-vmm-record', gen: 2, vmmGen: null },
  { node: 'mark-as-starting', gen: 2, vmmGen: 2 },
  { node: 'ensure-registered', gen: 4, vmmGen: 2 },
  { node: 'add-virtual-resources', gen: 4, vmmGen: 3 },
  { node: 'ensure-running', gen: 4, vmmGen: 3 },
]

function failAt(b: ScenarioBuilder, { node, gen, vmmGen }: NodeCase, index: number): ScenarioBuilder {
  const name = `vm-${index + 1}`
  b.note(`instance_start fails at ${node}`)
    .create(name, { ncpus: 2, memory: '4GiB' })
    .sagaFault('instance_start', node, 'fail', 1)
    .start(name, { expectError: INTERNAL })
    .expectSagas({ name: 'instance_start', states: CASES.slice(0, index + 1).map(() => 'unwound' as const), failedNode: node })
    .expectInstance(name, { runState: 'stopped', autoRestarted: false })
    .expectRecord(name, { state: 'no_vmm', intendedState: 'running', gen, hasActiveVmm: false, updaterLocked: false })
    .expectProvisioning(0, 0)
    .expectReservations(0)
  if (vmmGen === null) return b.expectVmmCount(name, 0)
  return b.expectVmmCount(name, 1).expectVmm({ instance: name, which: 0 }, { state: 'saga_unwound', failureReason: null, gen: vmmGen, deleted: false })
}

const b = scenario({
  name: 'start-saga-fails-at-each-node',
  description:
    'For each node of instance_start, one stopped instance whose start fails there (an injected action failure, so a 500 "Internal Server Error"). Each saga unwinds from that node: a failure before MARK_AS_STARTING changes nothing about the instance; from MARK_AS_STARTING on the VMM row is left saga_unwound (with no failure reason) and the instance is no_vmm again with intent running at gen + 2, externally stopped; a registered VMM is unregistered. Reservations and provisioning are always released, and the abandoned-VMM reaper then deletes the saga_unwound rows (omicron-behaviour §1.4, SS test_action_failure_can_unwind).',
})
CASES.forEach((c, i) => failAt(b, c, i))

export default b
  .note('a minute on: no sled reported on the unregistered VMMs (unregister hands their state to Nexus), and the reaper’s periodic pass deleted the four saga_unwound rows')
  .advance('1m')
  .expectSagas({ name: 'start-instance-update', states: [] })
  .expectVmm({ instance: 'vm-5', which: 0 }, { state: 'saga_unwound', deleted: true })
  .expectVmm({ instance: 'vm-8', which: 0 }, { state: 'saga_unwound', deleted: true })
  .expectSagas({ name: 'instance_start', states: CASES.map(() => 'unwound' as const) })
  .expectTrace('vmms_deleted":4', { count: 1 })
  .expectReservations(0)
  .expectProvisioning(0, 0)
  .build()
