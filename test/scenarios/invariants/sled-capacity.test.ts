import { describe, expect, it } from 'vitest'
import type { SledRecord } from '../../../nexus/db/records.ts'
import { addSled, GIB } from '../../nexus/db/db-fixtures.ts'
import { addStartedInstance, bentReads, checkerWorld } from './checker-world.ts'

// The store re-validates space on every reservation, so an over-committed sled is faked by making
// the checker read a smaller sled than the one the reservations were made on.
function shrunk(shrink: Partial<Pick<SledRecord, 'hardwareThreads' | 'reservoirBytes'>>) {
  return checkerWorld({ reads: (db) => bentReads(db, { sledList: () => db.sledList().map((sled) => ({ ...sled, ...shrink })) }) })
}

describe('the sled_not_overcommitted invariant', () => {
  it.each([
    ['hardware threads', { hardwareThreads: 3 }, '4 hardware threads of 3'],
    ['reservoir', { reservoirBytes: 7 * GIB }, `${8 * GIB} reservoir bytes of ${7 * GIB}`],
  ] as const)('catches a sled whose reservations exceed its %s', (_what, shrink, detail) => {
    const w = shrunk(shrink)
    addSled(w.t, 'sled-0', { hardwareThreads: 4, reservoirBytes: 8 * GIB })
    addStartedInstance(w, 'db1')
    addStartedInstance(w, 'db2')

    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['sled_not_overcommitted', 'sled sled-0']])
    expect(w.checker.violations()[0]?.message).toBe(`2 reservations hold ${detail}`)
  })

  it('counts tombstoned reservations: a migrated-away source still runs until it is destroyed', () => {
    const w = shrunk({ hardwareThreads: 3 })
    addSled(w.t, 'sled-0', { hardwareThreads: 4 })
    const { vmm } = addStartedInstance(w, 'db1')
    addStartedInstance(w, 'db2')

    w.t.db.sledReservationSetState(vmm.id, 'tombstoned')
    w.checker.checkQuiescent()

    expect(w.found()).toEqual([['sled_not_overcommitted', 'sled sled-0']])
  })

  it('reports nothing for a sled filled exactly to its capacity', () => {
    const w = checkerWorld()
    addSled(w.t, 'sled-0', { hardwareThreads: 4, reservoirBytes: 8 * GIB })
    addStartedInstance(w, 'db1')
    addStartedInstance(w, 'db2')

    w.checker.checkQuiescent()

    expect(w.t.db.sledReservationList()).toHaveLength(2)
    expect(w.found()).toEqual([])
  })
})
