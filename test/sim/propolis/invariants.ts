// The invariants of propolis-model.md §10.1 over one server's publishes: gen strictly +1 per VM,
// nothing after the final Destroyed or Failed, no Starting on a migration target, no Stopped on a
// migrated-out source, and no Repairing (or Resume) ever.
import type { TraceEvent } from '../../../sim/kernel/trace.ts'

export type PublishedEvent = Pick<TraceEvent<'propolis.published'>, 'gen' | 'state' | 'migration_in' | 'migration_out'>

/** Every broken invariant, as a sentence naming the gen; empty when all hold. */
export function invariantViolations(publishes: readonly PublishedEvent[]): string[] {
  return splitByVm(publishes).flatMap(vmViolations)
}

/** A new VM on the same server starts again at gen 1. */
function splitByVm(publishes: readonly PublishedEvent[]): PublishedEvent[][] {
  const vms: PublishedEvent[][] = []
  for (const publish of publishes) {
    const current = vms.at(-1)
    if (publish.gen === 1 || current === undefined) vms.push([publish])
    else current.push(publish)
  }
  return vms
}

function vmViolations(vm: readonly PublishedEvent[]): string[] {
  const violations: string[] = []
  const isTarget = vm[0]?.state === 'Migrating' && vm[0].migration_in !== null
  let migratedOut = false
  let failedCount = 0
  vm.forEach((publish, index) => {
    const previous = index === 0 ? null : vm[index - 1]
    const at = `gen ${publish.gen}`
    if ((previous?.gen ?? 0) + 1 !== publish.gen) violations.push(`${at}: gen does not follow ${previous?.gen ?? 0} by exactly 1`)
    if (previous?.state === 'Destroyed') violations.push(`${at}: ${publish.state} published after Destroyed`)
    if (previous?.state === 'Failed' && publish.state !== 'Failed') violations.push(`${at}: ${publish.state} published after Failed`)
    if (publish.state === 'Failed' && ++failedCount > 2) violations.push(`${at}: Failed published more than twice`)
    if (isTarget && publish.state === 'Starting') violations.push(`${at}: Starting published on a migration target`)
    if (migratedOut && publish.state === 'Stopped') violations.push(`${at}: Stopped published on a migrated-out source`)
    if (publish.state === 'Repairing') violations.push(`${at}: Repairing published`)
    if (publish.migration_in === 'Resume' || publish.migration_out === 'Resume') violations.push(`${at}: Resume published`)
    if (publish.migration_out === 'Finish') migratedOut = true
  })
  return violations
}
