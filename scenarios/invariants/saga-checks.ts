// Every saga ends succeeded or unwound unless a `fail_undo` saga fault targeted it, and the updater
// lock is free whenever no saga is working on its instance (only the update sagas take it, and they
// release it when they commit or unwind: omicron-behaviour.md §2.2).
import type { InstanceRecord } from '../../nexus/db/records.ts'
import { sagaHolds, type SagaFacts } from './saga-facts.ts'
import type { ReportViolation } from './violation-log.ts'

/** A `stuck` saga is a violation unless its id is among `failUndoTargets` (from `fault.saga` events). */
export function checkSagasEndClean(facts: SagaFacts, failUndoTargets: ReadonlySet<string>, report: ReportViolation): void {
  for (const saga of facts.stuck) {
    if (failUndoTargets.has(saga.id)) continue
    const where = `the undo of ${saga.undoFailedNode ?? '?'} failed while unwinding from ${saga.failedNode ?? '?'}`
    report('saga_ends_clean', `saga ${saga.id}`, `${saga.name} ended stuck (${where}) though no fault targeted its undo; expected succeeded or unwound`)
  }
}

/** A held lock with no saga working on its instance will never be released. */
export function checkUpdaterLocks(instances: readonly InstanceRecord[], facts: SagaFacts, report: ReportViolation): void {
  if (facts.unattributedRunning) return
  for (const instance of instances) {
    if (instance.updaterId === null || sagaHolds(facts, instance.id)) continue
    report('updater_lock_free', `instance ${instance.id}`, `the updater lock is held by ${instance.updaterId} (updater_gen ${instance.updaterGen}) while no saga works on the instance`)
  }
}
