import { readFile } from 'node:fs/promises'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createActor, createMachine } from 'xstate'
import { DEFAULT_EPOCH_MS, NotQuiescentError, VirtualClock } from '../../../sim/kernel/clock.ts'

describe('VirtualClock', () => {
  it('starts at the fixed epoch and moves only when advanced', async () => {
    const clock = new VirtualClock()

    expect(clock.now()).toBe(DEFAULT_EPOCH_MS)
    expect(clock.isoNow()).toBe('2026-08-21T00:00:00.000Z')
    await clock.advance(1500)

    expect(clock.elapsed()).toBe(1500)
    expect(clock.isoNow()).toBe('2026-08-21T00:00:01.500Z')
  })

  it('fires timers in deadline order, each at its own deadline', async () => {
    const clock = new VirtualClock()
    const fired: string[] = []
    for (const [name, ms] of [['c', 300], ['a', 100], ['b', 200]] as const) {
      clock.setTimeout(() => fired.push(`${name}@${clock.elapsed()}`), ms)
    }

    await clock.advance(1000)

    expect(fired).toEqual(['a@100', 'b@200', 'c@300'])
    expect(clock.elapsed()).toBe(1000)
  })

  it('fires timers with equal deadlines in the order they were scheduled', async () => {
    const clock = new VirtualClock()
    const fired: number[] = []
    for (let i = 0; i < 50; i += 1) clock.setTimeout(() => fired.push(i), 10)

    await clock.advance(10)

    expect(fired).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('counts a timer set inside a callback from the moment that callback was due', async () => {
    const clock = new VirtualClock()
    const fired: number[] = []
    clock.setTimeout(() => {
      clock.setTimeout(() => fired.push(clock.elapsed()), 50)
    }, 100)

    await clock.advance(10_000)

    expect(fired).toEqual([150])
  })

  it('runs a zero-delay timer set inside a callback in the same jump, after the timers already due then', async () => {
    const clock = new VirtualClock()
    const fired: string[] = []
    clock.setTimeout(() => {
      fired.push('first')
      clock.setTimeout(() => fired.push('nested'), 0)
    }, 20)
    clock.setTimeout(() => fired.push('second'), 20)

    await clock.advance(20)

    expect(fired).toEqual(['first', 'second', 'nested'])
  })

  it('does not fire a cleared timer, and clearing twice or after firing is harmless', async () => {
    const clock = new VirtualClock()
    const fired: string[] = []
    const cleared = clock.setTimeout(() => fired.push('cleared'), 10)
    const kept = clock.setTimeout(() => fired.push('kept'), 10)
    clock.clearTimeout(cleared)
    clock.clearTimeout(cleared)

    await clock.advance(10)
    clock.clearTimeout(kept)
    clock.clearTimeout(undefined)

    expect(fired).toEqual(['kept'])
    expect(clock.pendingTimers).toBe(0)
  })

  it('lets promise work started by one timer settle before the next timer fires', async () => {
    const clock = new VirtualClock()
    const seen: string[] = []
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => seen.push(`chain done@${clock.elapsed()}`))
    }, 10)
    clock.setTimeout(() => seen.push(`next timer@${clock.elapsed()}`), 10)

    await clock.advance(10)

    expect(seen).toEqual(['chain done@10', 'next timer@10'])
  })

  it('settles timers due now without moving time', async () => {
    const clock = new VirtualClock()
    const fired: string[] = []
    clock.setTimeout(() => fired.push('now'), 0)
    clock.setTimeout(() => fired.push('later'), 1)

    await clock.settle()

    expect(fired).toEqual(['now'])
    expect(clock.elapsed()).toBe(0)
    expect(clock.nextDue()).toBe(DEFAULT_EPOCH_MS + 1)
  })

  it('waits in settle for held work that completes on a later turn of the event loop', async () => {
    const clock = new VirtualClock()
    let done = false
    const release = clock.hold('file read')
    void readFile(new URL(import.meta.url)).then(() => {
      done = true
      release()
    })

    await clock.settle()

    expect(done).toBe(true)
  })

  it('reports work that never settles as not quiescent, naming what is held', async () => {
    const clock = new VirtualClock({ maxSettleTurns: 5 })
    clock.hold('request PUT /vmms/x')

    await expect(clock.settle()).rejects.toThrow(NotQuiescentError)
    await expect(clock.settle()).rejects.toThrow(/request PUT \/vmms\/x/)
  })

  it('rejects moving backwards, negative advances and re-entrant advances', async () => {
    const clock = new VirtualClock()
    await clock.advance(100)

    await expect(clock.advanceTo(clock.now() - 1)).rejects.toThrow(/is before the current time/)
    await expect(clock.advance(-5)).rejects.toThrow(RangeError)
    const first = clock.advance(10)
    await expect(clock.advance(10)).rejects.toThrow(/already running/)
    await first
  })

  it('drives XState delayed transitions as the clock option of createActor', async () => {
    const clock = new VirtualClock()
    const machine = createMachine({
      initial: 'starting',
      states: { starting: { after: { 2000: 'running' } }, running: {} },
    })
    const actor = createActor(machine, { clock }).start()

    await clock.advance(1999)
    const before = actor.getSnapshot().value
    await clock.advance(1)

    expect(before).toBe('starting')
    expect(actor.getSnapshot().value).toBe('running')
  })

  it('fires any mix of scheduled and cancelled timers in (deadline, scheduling) order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 300 }),
        async (ops) => {
          const clock = new VirtualClock()
          const fired: number[] = []
          const handles = ops.map((op, i) => clock.setTimeout(() => fired.push(i), op.delay))
          ops.forEach((op, i) => op.cancel && clock.clearTimeout(handles[i]))

          await clock.advance(100)

          const expected = ops
            .map((op, i) => ({ ...op, i }))
            .filter((op) => !op.cancel)
            .sort((a, b) => a.delay - b.delay || a.i - b.i)
            .map((op) => op.i)
          expect(fired).toEqual(expected)
        },
      ),
      { numRuns: 50 },
    )
  })

  it('keeps order with tens of thousands of pending timers and heavy cancellation', async () => {
    const clock = new VirtualClock()
    const fired: number[] = []
    const handles = Array.from({ length: 20_000 }, (_, i) => clock.setTimeout(() => fired.push(i), (i * 7919) % 1000))
    handles.forEach((h, i) => i % 3 === 0 && clock.clearTimeout(h))

    await clock.advance(1000)

    const expected = handles
      .map((h, i) => ({ due: h.due, i }))
      .filter(({ i }) => i % 3 !== 0)
      .sort((a, b) => a.due - b.due || a.i - b.i)
      .map(({ i }) => i)
    expect(fired).toEqual(expected)
  })
})
