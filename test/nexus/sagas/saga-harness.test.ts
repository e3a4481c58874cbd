import { describe, expect, it } from 'vitest'
import type { SagaDef } from '../../../nexus/sagas/saga-types.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { expectActionsIdempotent, expectCrashRecoveryEverywhere, expectUnwindsFromEveryNode, type SagaTestWorld } from './saga-harness.ts'
import { bookingSaga, doubleChargeSaga, doubleRefundSaga, hotelWorld, leakyRoomSaga } from './toy-sagas.ts'

const NODES = bookingSaga.nodes.map((n) => n.name)

describe('expectUnwindsFromEveryNode', () => {
  it('passes for a saga that unwinds cleanly, after failing at every node in turn', async () => {
    const report = await expectUnwindsFromEveryNode(bookingSaga, () => hotelWorld())

    expect(report.runs).toEqual(['no fault', ...NODES.map((n) => `failing at ${n}`)])
  })

  it('reports a node whose undo is missing, through the world check', async () => {
    await expect(expectUnwindsFromEveryNode(leakyRoomSaga, () => hotelWorld())).rejects.toThrow('failing at charge-card: the world check failed after the saga unwound: unwound at charge-card but left')
  })

  it('reports a saga that fails at another node than the one the fault targets', async () => {
    const world = () => {
      const { check: _check, ...w } = hotelWorld()
      w.hotel.rooms.set('room-ada', 'someone-else')
      return w
    }

    await expect(expectUnwindsFromEveryNode(bookingSaga, world)).rejects.toThrow('a run without faults: how the saga ended (reserve failed: room taken (room-ada))')
  })
})

describe('expectActionsIdempotent', () => {
  it('passes for a saga whose actions and undos are idempotent', async () => {
    const report = await expectActionsIdempotent(bookingSaga, () => hotelWorld())

    expect(report.runs).toEqual(['every action twice', ...NODES.map((n) => `failing at ${n} with every action and undo twice`)])
  })

  it('reports an action that charges twice when run twice', async () => {
    await expect(expectActionsIdempotent(doubleChargeSaga, () => hotelWorld())).rejects.toThrow('a run with every action twice: the world check failed after the saga succeeded: booked world is wrong')
  })

  it('reports a different end state even when the world has no check', async () => {
    const uncheckedWorld = () => {
      const { check: _check, ...w } = hotelWorld()
      return w
    }

    await expect(expectActionsIdempotent(doubleChargeSaga, uncheckedWorld)).rejects.toThrow('the end state with every action run twice')
  })

  it('reports an undo that posts a second credit note when run twice', async () => {
    await expect(expectActionsIdempotent(doubleRefundSaga, () => hotelWorld())).rejects.toThrow('failing at notify-guest with every action and undo twice: the end state')
  })

  it('skips the undo runs when asked', async () => {
    const report = await expectActionsIdempotent(doubleRefundSaga, () => hotelWorld(), { undos: false })

    expect(report.runs).toEqual(['every action twice'])
  })
})

describe('expectCrashRecoveryEverywhere', () => {
  it('disposes of every world it sets up, passing or failing', async () => {
    let created = 0
    let disposed = 0
    const counted = () => {
      created += 1
      return { ...hotelWorld(), dispose: () => void (disposed += 1) }
    }

    await expectCrashRecoveryEverywhere(bookingSaga, counted)
    await expect(expectCrashRecoveryEverywhere(doubleChargeSaga, counted)).rejects.toThrow()

    expect(created).toBeGreaterThan(20)
    expect(disposed).toBe(created)
  })

  it('passes for a saga that recovers from a crash at every step, forward and unwinding', async () => {
    const report = await expectCrashRecoveryEverywhere(bookingSaga, () => hotelWorld())

    expect(report.runs).toEqual([
      ...NODES.flatMap((n) => [`crash before_succeeded ${n}`, `crash after_succeeded ${n}`]),
      'failing at pick-room, crash after_failed pick-room',
      'failing at reserve-room, crash after_failed reserve-room',
      'failing at charge-card, crash after_failed charge-card',
      'failing at charge-card, crash before_undo_finished reserve-room',
      'failing at charge-card, crash after_undo_finished reserve-room',
      'failing at notify-guest, crash after_failed notify-guest',
      'failing at notify-guest, crash before_undo_finished charge-card',
      'failing at notify-guest, crash after_undo_finished charge-card',
      'failing at notify-guest, crash before_undo_finished reserve-room',
      'failing at notify-guest, crash after_undo_finished reserve-room',
    ])
  })

  it('reports an action that is not safe to run again after a crash', async () => {
    await expect(expectCrashRecoveryEverywhere(doubleChargeSaga, () => hotelWorld(), { unwinding: false })).rejects.toThrow(
      'crash before_succeeded charge-card: the end state after recovery',
    )
  })

  it('reports an undo that is not safe to run again after a crash', async () => {
    await expect(expectCrashRecoveryEverywhere(doubleRefundSaga, () => hotelWorld())).rejects.toThrow(
      'failing at notify-guest, crash before_undo_finished charge-card: the end state after recovery',
    )
  })
})

describe('the harness on virtual time', () => {
  /** A saga whose nodes wait on the clock: the world's `drive` advances it until the work settles. */
  const slowSaga: SagaDef<null, { a: number; b: number }, { readonly clock: VirtualClock; readonly marks: Set<string> }> = {
    name: 'toy_slow',
    nodes: [
      { name: 'a', action: async (ctx) => { await ctx.services.clock.sleep(1_000); ctx.services.marks.add('a'); return 1 }, undo: async (ctx) => { await ctx.services.clock.sleep(10); ctx.services.marks.delete('a') } },
      { name: 'b', action: async (ctx) => { await ctx.services.clock.sleep(2_000); ctx.services.marks.add('b'); return ctx.output('a') + 1 }, undo: null },
    ],
  }

  function slowWorld(): SagaTestWorld<null, { readonly clock: VirtualClock; readonly marks: Set<string> }, string[]> {
    const base = hotelWorld()
    const marks = new Set<string>()
    return {
      db: base.db,
      clock: base.clock,
      trace: base.trace,
      ids: base.ids,
      services: { clock: base.clock, marks },
      params: null,
      snapshot: () => [...marks].sort(),
      check: (ending) => {
        if (ending.kind === 'unwound' && marks.has('a')) throw new Error('a was not undone')
      },
      drive: async <T,>(work: Promise<T>): Promise<T> => {
        let settled = false
        const observed = work.finally(() => {
          settled = true
        })
        observed.catch(() => {})
        for (let spent = 0; !settled && spent < 60_000; spent += 100) await base.clock.advance(100)
        return work
      },
    }
  }

  it('runs all three harnesses over a saga that waits on the clock', async () => {
    const reports = [
      await expectUnwindsFromEveryNode(slowSaga, slowWorld),
      await expectActionsIdempotent(slowSaga, slowWorld),
      await expectCrashRecoveryEverywhere(slowSaga, slowWorld),
    ]

    expect(reports.map((r) => r.runs.length)).toEqual([3, 3, 8])
  })
})
