// No reservation outlives its VMM once the abandoned-VMM reaper has run. Omicron frees a VMM's
// reservation before it soft-deletes the row, in the update saga's destroy step and in the reaper
// alike (omicron-behaviour.md §2.4 item 6, §3.5), so a deleted VMM never holds one; and a reaper
// activation frees the reservation of every VMM that was abandoned (destroyable, not deleted,
// neither active nor target of its instance) when it began. A destroyed VMM its instance still
// points at keeps its reservation until an update saga unlinks it: that is not a violation.
import type { PropolisUuid } from '../../sim/kernel/ids.ts'
import type { SledReservationRecord } from '../../nexus/db/records.ts'
import type { VmmRecordState } from '../../nexus/types/vmm-record.ts'
import type { InvariantDb } from './invariant-db.ts'
import type { ReportViolation } from './violation-log.ts'

export const REAPER_TASK = 'abandoned_vmm_reaper'

/** Follows the reaper's activations through the trace (`task.activated`, `task.finished`). */
export class ReaperWatch {
  readonly #db: InvariantDb
  readonly #report: ReportViolation
  /** The VMMs abandoned when the running activation began, with their states then. */
  #abandoned: ReadonlyMap<PropolisUuid, VmmRecordState> | null = null

  constructor(db: InvariantDb, report: ReportViolation) {
    this.#db = db
    this.#report = report
  }

  // What the reaper lists is taken when it is activated, not when it finishes: a VMM abandoned in
  // between (an update saga unlinking it, say) is the next activation's, or its saga's, to free.
  activated(): void {
    this.#abandoned = new Map(this.#db.vmmListAbandoned().map((vmm) => [vmm.id, vmm.state]))
  }

  finished(): void {
    const abandoned = this.#abandoned
    this.#abandoned = null
    // A checker built while an activation ran did not see what it began with.
    if (abandoned === null) return
    for (const [id, state] of abandoned) {
      const reservation = this.#db.sledReservationGet(id)
      if (reservation === null) continue
      const message = `the reaper finished, but the reservation (${reservation.state}, sled ${reservation.sledId}) of this VMM, abandoned in '${state}' when the reaper began, is still held`
      this.#report('reservation_outlives_vmm', `vmm ${id}`, message)
    }
  }
}

/** At any step boundary: no reservation belongs to a soft-deleted VMM. */
export function checkReservationsOfDeletedVmms(db: InvariantDb, reservations: readonly SledReservationRecord[], report: ReportViolation): void {
  for (const reservation of reservations) {
    const vmm = db.vmmGet(reservation.id, { includeDeleted: true })
    if (vmm === null || vmm.timeDeleted === null) continue
    const message = `the VMM ('${vmm.state}') is deleted, but its reservation (${reservation.state}, sled ${reservation.sledId}) is still held`
    report('reservation_outlives_vmm', `vmm ${reservation.id}`, message)
  }
}
