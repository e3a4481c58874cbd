// The invariant checker (DESIGN.md §6), running in every testbed: per-write checks on each committed
// row (`observe`, the datastore's `onWrite`), global checks at every step boundary (`checkQuiescent`),
// and the reaper and saga-fault events it follows in the trace. Each family lives in its own file.
import { TABLE_NAMES, type TableName } from '../../nexus/db/constraints.ts'
import type { RecordWrite } from '../../nexus/db/tables.ts'
// For the trace event kinds they declare (`task.*`, `fault.saga`), which the checker follows.
import type {} from '../../nexus/background/driver.ts'
import type {} from '../../nexus/sagas/saga-trace.ts'
import type { Trace, TraceEvent } from '../../sim/kernel/trace.ts'
import type { InvariantDb } from './invariant-db.ts'
import { checkInstanceProvisioning, checkProvisioningTotals } from './provisioning-check.ts'
import { checkReservationsOfDeletedVmms, REAPER_TASK, ReaperWatch } from './reservation-reaping.ts'
import { RowChecks } from './row-checks.ts'
import { checkSagasEndClean, checkUpdaterLocks } from './saga-checks.ts'
import { readSagaFacts, type SagaFacts } from './saga-facts.ts'
import { checkSledCapacity } from './sled-capacity-check.ts'
import { ViolationLog } from './violation-log.ts'
import type { InvariantViolation } from './violation.ts'
import { WriteHistory } from './write-history.ts'

export interface InvariantCheckerDeps {
  /** Stamps each violation with the virtual ms it was first seen. */
  readonly clock: { elapsed(): number }
  /** Nexus's datastore; the checker only reads it. */
  readonly db: InvariantDb
  /** Requests no simulated host served (`sim/interception.ts`); they are process-wide. */
  readonly unroutedRequests: () => readonly string[]
  /** The testbed's trace: the checker follows reaper activations and saga faults in it. */
  readonly trace: Trace
}

export class InvariantChecker {
  readonly #db: InvariantDb
  readonly #unrouted: () => readonly string[]
  readonly #log: ViolationLog
  readonly #rows: RowChecks
  readonly #history: WriteHistory
  readonly #reaper: ReaperWatch
  readonly #unsubscribe: () => void
  /** Sagas a `fail_undo` saga fault fired in: they may end stuck. */
  readonly #failUndoTargets = new Set<string>()
  /** Tables written since the last `checkQuiescent`; all of them until then. */
  readonly #dirty = new Set<TableName>(TABLE_NAMES)
  /** Until `observe` is first called, the checker cannot tell what changed, so it checks everything. */
  #observing = false
  #faultsChanged = true
  /** How many unrouted requests have been looked at; those before the checker existed belong to an earlier testbed. */
  #unroutedSeen: number

  constructor(deps: InvariantCheckerDeps) {
    this.#db = deps.db
    this.#unrouted = deps.unroutedRequests
    this.#log = new ViolationLog(deps.clock)
    this.#rows = new RowChecks(this.#log.report)
    this.#history = new WriteHistory(this.#log.report)
    this.#reaper = new ReaperWatch(deps.db, this.#log.report)
    this.#unroutedSeen = deps.unroutedRequests().length
    // A fault recorded before the checker existed still excuses its saga; a past reaper run cannot
    // be judged any more, since the state it ran against is gone.
    for (const event of deps.trace.events()) if (event.kind === 'fault.saga') this.#onTrace(event)
    this.#unsubscribe = deps.trace.subscribe((event) => this.#onTrace(event))
  }

  /** The per-write checks, on every committed row write; O(1) each. */
  observe(write: RecordWrite): void {
    this.#observing = true
    this.#dirty.add(write.table)
    this.#rows.check(write)
    this.#history.check(write)
  }

  /**
   * The global checks, at a step boundary (nothing in flight). Each runs only if a table it reads
   * was written since the last call, and costs at most one pass over the rows it reads.
   */
  checkQuiescent(): void {
    const changed = (...tables: TableName[]): boolean => !this.#observing || tables.some((table) => this.#dirty.has(table))
    const report = this.#log.report
    const db = this.#db
    let facts: SagaFacts | null = null
    const sagaFacts = (): SagaFacts => (facts ??= readSagaFacts(db))

    if (changed('sled', 'sled_resource_vmm', 'vmm')) {
      const reservations = db.sledReservationList()
      checkSledCapacity(db.sledList(), reservations, report)
      checkReservationsOfDeletedVmms(db, reservations, report)
    }
    const provisioningChanged = changed('virtual_provisioning_resource', 'virtual_provisioning_collection')
    const instancesChanged = changed('instance', 'vmm', 'virtual_provisioning_resource', 'saga')
    const provisioning = provisioningChanged || instancesChanged ? db.provisioningRead() : null
    if (provisioning !== null && provisioningChanged) checkProvisioningTotals(provisioning, report)
    if (changed('saga') || this.#faultsChanged) checkSagasEndClean(sagaFacts(), this.#failUndoTargets, report)
    if (provisioning !== null && instancesChanged) {
      const instances = db.instanceList({ includeDeleted: true })
      checkInstanceProvisioning(db, instances, provisioning, sagaFacts(), report)
      checkUpdaterLocks(instances, sagaFacts(), report)
    }
    this.#checkUnrouted()
    this.#dirty.clear()
    this.#faultsChanged = false
  }

  /** Each distinct (invariant, subject) once, with the virtual time first seen; ordered by time, invariant, subject. */
  violations(): InvariantViolation[] {
    return this.#log.list()
  }

  /** Stops following the trace. */
  dispose(): void {
    this.#unsubscribe()
  }

  #onTrace(event: TraceEvent): void {
    switch (event.kind) {
      case 'fault.saga':
        if (event.fault === 'fail_undo') {
          this.#failUndoTargets.add(event.saga)
          this.#faultsChanged = true
        }
        return
      case 'task.activated':
        if (event.task === REAPER_TASK) this.#reaper.activated()
        return
      case 'task.finished':
        if (event.task === REAPER_TASK) this.#reaper.finished()
        return
      default:
        // Every other event kind says nothing the checks need.
        return
    }
  }

  #checkUnrouted(): void {
    const all = this.#unrouted()
    for (let i = Math.min(this.#unroutedSeen, all.length); i < all.length; i++) {
      const request = all[i]
      if (request !== undefined) this.#log.report('no_request_leaves', request, 'a request left the process: no simulated host serves it')
    }
    this.#unroutedSeen = all.length
  }
}
