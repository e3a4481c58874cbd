// Virtual provisioning never goes negative and equals what instances hold. The start saga adds an
// instance's cpus and memory at ADD_VIRTUAL_RESOURCES, after it made its VMM active, and releases
// them on unwind; the update saga releases them when it leaves the instance without an active VMM
// (omicron-behaviour.md §1.2 node 12, §1.4, §2.3 step 5). So, with no saga working on it and its
// updater lock free, an instance holds exactly its size while it has a live active VMM, and nothing
// otherwise; see `provisioningRule` for the two states in between.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { ProvisioningSnapshot } from '../../nexus/db/provisioning.ts'
import type { InstanceProvisioningRecord, InstanceRecord, ProvisionedResources, VmmRecord } from '../../nexus/db/records.ts'
import type { InvariantDb } from './invariant-db.ts'
import { sagaHolds, type SagaFacts } from './saga-facts.ts'
import type { ReportViolation } from './violation-log.ts'

/** What an instance no saga is working on must hold. */
export type ProvisioningRule =
  | 'none'
  /** Exactly its ncpus and memory. */
  | 'all'
  /** Either: the instance is on its way to holding none. */
  | 'none_or_all'

export function provisioningRule(instance: InstanceRecord, activeVmm: VmmRecord | null): ProvisioningRule {
  if (instance.timeDeleted !== null) return 'none'
  switch (instance.state) {
    case 'creating':
    case 'no_vmm':
    case 'failed':
    case 'destroyed':
      return 'none'
    case 'vmm':
      break
    default:
      return assertNever(instance.state, 'instance record state')
  }
  // A `vmm` instance without a live active VMM breaks record invariants checked elsewhere.
  if (activeVmm === null || activeVmm.timeDeleted !== null) return 'none_or_all'
  switch (activeVmm.state) {
    case 'creating':
    case 'starting':
    case 'running':
    case 'stopping':
    case 'stopped':
    case 'rebooting':
    case 'migrating':
      return 'all'
    // The update saga releases before it commits, and keeps the release if the commit then loses a
    // race and unwinds (§2.4: only the lock has an undo); the next update saga finishes the job.
    case 'failed':
    case 'destroyed':
      return 'none_or_all'
    // The start saga that made it active released what it added as it unwound (§1.4), and the
    // update saga ignores a `saga_unwound` active VMM; only a new start adds it back.
    case 'saga_unwound':
      return 'none'
    default:
      return assertNever(activeVmm.state, 'vmm record state')
  }
}

/** Each project's collection, and the fleet's, is the sum of the resource rows under it. */
export function checkProvisioningTotals(snapshot: ProvisioningSnapshot, report: ReportViolation): void {
  const byProject = new Map<string, ProvisionedResources>()
  let fleet: ProvisionedResources = { cpus: 0, ram: 0 }
  for (const row of snapshot.instances) {
    byProject.set(row.projectId, add(byProject.get(row.projectId) ?? { cpus: 0, ram: 0 }, row))
    fleet = add(fleet, row)
  }
  for (const project of snapshot.projects) {
    totalMatches(`project ${project.projectId}`, project, byProject.get(project.projectId) ?? { cpus: 0, ram: 0 }, report)
    byProject.delete(project.projectId)
  }
  for (const [projectId, sum] of byProject) totalMatches(`project ${projectId}`, null, sum, report)
  totalMatches('fleet', snapshot.fleet, fleet, report)
}

/** Each instance holds what `provisioningRule` says; no row belongs to an instance that does not exist. */
export function checkInstanceProvisioning(
  db: InvariantDb,
  instances: readonly InstanceRecord[],
  snapshot: ProvisioningSnapshot,
  facts: SagaFacts,
  report: ReportViolation,
): void {
  if (facts.unattributedRunning) return
  const held = new Map<string, InstanceProvisioningRecord>(snapshot.instances.map((row) => [row.instanceId, row]))
  for (const instance of instances) {
    const row = held.get(instance.id) ?? null
    held.delete(instance.id)
    if (sagaHolds(facts, instance.id) || instance.updaterId !== null) continue
    const active = instance.activePropolisId === null ? null : db.vmmGet(instance.activePropolisId, { includeDeleted: true })
    const problem = holdingProblem(instance, active, row)
    if (problem !== null) report('provisioning_consistent', `instance ${instance.id}`, problem)
  }
  for (const row of held.values()) {
    report('provisioning_consistent', `instance ${row.instanceId}`, `${describe(row)} are provisioned for an instance that does not exist`)
  }
}

function holdingProblem(instance: InstanceRecord, active: VmmRecord | null, row: InstanceProvisioningRecord | null): string | null {
  const rule = provisioningRule(instance, active)
  const where = `an instance in state '${instance.state}'${active === null ? '' : ` with active VMM '${active.state}'`}`
  const size = { cpus: instance.ncpus, ram: instance.memory }
  switch (rule) {
    case 'none':
      return row === null ? null : `${where} holds ${describe(row)} of virtual provisioning; it should hold none`
    case 'all':
      if (row === null) return `${where} holds no virtual provisioning; it should hold ${describe(size)}`
      return sameAmount(row, size) ? null : `${where} holds ${describe(row)}; its size is ${describe(size)}`
    case 'none_or_all':
      return row === null || sameAmount(row, size) ? null : `${where} holds ${describe(row)}; its size is ${describe(size)}`
    default:
      return assertNever(rule, 'provisioning rule')
  }
}

function totalMatches(subject: string, recorded: ProvisionedResources | null, sum: ProvisionedResources, report: ReportViolation): void {
  if (recorded !== null && recorded.cpus >= 0 && recorded.ram >= 0 && sameAmount(recorded, sum)) return
  const found = recorded === null ? 'no collection row' : `a collection of ${describe(recorded)}`
  report('provisioning_consistent', subject, `${found}, but its instances' resource rows sum to ${describe(sum)}`)
}

function add(a: ProvisionedResources, b: ProvisionedResources): ProvisionedResources {
  return { cpus: a.cpus + b.cpus, ram: a.ram + b.ram }
}

function sameAmount(a: ProvisionedResources, b: ProvisionedResources): boolean {
  return a.cpus === b.cpus && a.ram === b.ram
}

function describe(r: ProvisionedResources): string {
  return `${r.cpus} cpus and ${r.ram} bytes`
}
