// No sled is over-committed: what its reservations hold, summed, fits its hardware threads and its
// reservoir. Tombstoned reservations count too: a migrated-away source VMM still runs until it is
// destroyed, and placement counts every reservation, any state (omicron-behaviour.md §1.3 step 3).
import type { SledRecord, SledReservationRecord } from '../../nexus/db/records.ts'
import type { ReportViolation } from './violation-log.ts'

export function checkSledCapacity(sleds: readonly SledRecord[], reservations: readonly SledReservationRecord[], report: ReportViolation): void {
  const used = new Map<string, { threads: number; ram: number; count: number }>()
  for (const row of reservations) {
    const sum = used.get(row.sledId) ?? { threads: 0, ram: 0, count: 0 }
    used.set(row.sledId, { threads: sum.threads + row.hardwareThreads, ram: sum.ram + row.reservoirRam, count: sum.count + 1 })
  }
  for (const sled of sleds) {
    const sum = used.get(sled.id)
    if (sum === undefined) continue
    const over: string[] = []
    if (sum.threads > sled.hardwareThreads) over.push(`${sum.threads} hardware threads of ${sled.hardwareThreads}`)
    if (sum.ram > sled.reservoirBytes) over.push(`${sum.ram} reservoir bytes of ${sled.reservoirBytes}`)
    if (over.length > 0) report('sled_not_overcommitted', `sled ${sled.name}`, `${sum.count} reservations hold ${over.join(' and ')}`)
  }
}
