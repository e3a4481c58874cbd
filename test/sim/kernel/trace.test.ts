import { describe, expect, it } from 'vitest'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { canonicalJson, renderEvent, Trace, type TraceEvent } from '../../../sim/kernel/trace.ts'

declare module '../../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    'test.vmm': { readonly propolis: string; readonly state: string; readonly gen: number }
    'test.nested': { readonly detail: { readonly b: number; readonly a: readonly number[] } }
  }
}

describe('Trace', () => {
  it('stamps each event with a sequence number and the virtual time', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)

    trace.record('note', { text: 'begin' })
    await clock.advance(1500)
    const event = trace.record('test.vmm', { propolis: 'p1', state: 'running', gen: 3 })

    expect(event).toEqual({ seq: 1, at: 1500, kind: 'test.vmm', propolis: 'p1', state: 'running', gen: 3 })
    expect(trace.size).toBe(2)
  })

  it('with keep: counts, keeps no events but counts each kind, and still tells its listeners', () => {
    const trace = new Trace(new VirtualClock(), { keep: 'counts' })
    const heard: string[] = []
    trace.subscribe((event) => heard.push(`${event.seq} ${event.kind}`))

    trace.record('note', { text: 'a' })
    trace.record('test.vmm', { propolis: 'p1', state: 'running', gen: 3 })
    trace.record('note', { text: 'b' })

    expect(trace.size).toBe(3)
    expect(trace.counts()).toEqual({ note: 2, 'test.vmm': 1 })
    expect(heard).toEqual(['0 note', '1 test.vmm', '2 note'])
    expect([trace.events(), trace.lines(), trace.toJsonl()]).toEqual([[], [], ''])
  })

  it('renders one line per event with virtual time first', async () => {
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    await clock.advance(61_234)

    trace.record('test.vmm', { propolis: 'p1', state: 'running', gen: 3 })
    trace.record('note', { text: 'two words' })

    expect(trace.lines()).toEqual(['   61.234s  test.vmm  propolis=p1  state=running  gen=3', '   61.234s  note  text="two words"'])
    expect(trace.tail(1)).toEqual(['   61.234s  note  text="two words"'])
  })

  it('is append-only: events are frozen and snapshots do not grow', () => {
    const trace = new Trace(new VirtualClock())
    const first = trace.record('note', { text: 'a' })
    const snapshot = trace.events()

    trace.record('note', { text: 'b' })

    expect(Object.isFrozen(first)).toBe(true)
    expect(snapshot).toHaveLength(1)
    expect(trace.events()).toHaveLength(2)
  })

  it('hashes canonically, so the order fields were written in does not matter', () => {
    const a = new Trace(new VirtualClock())
    const b = new Trace(new VirtualClock())

    a.record('test.nested', { detail: { b: 1, a: [2, 3] } })
    b.record('test.nested', { detail: { a: [2, 3], b: 1 } })

    expect(a.hash()).toBe(b.hash())
    expect(a.hash()).toMatch(/^[0-9a-f]{64}$/)
    expect(a.toJsonl()).toBe('{"at":0,"detail":{"a":[2,3],"b":1},"kind":"test.nested","seq":0}\n')
  })

  it('hashes differently when any event differs', () => {
    const a = new Trace(new VirtualClock())
    const b = new Trace(new VirtualClock())

    a.record('test.vmm', { propolis: 'p1', state: 'running', gen: 3 })
    b.record('test.vmm', { propolis: 'p1', state: 'running', gen: 4 })

    expect(a.hash()).not.toBe(b.hash())
  })

  it('tells subscribers of each new event until they unsubscribe', () => {
    const trace = new Trace(new VirtualClock())
    const seen: TraceEvent[] = []
    const unsubscribe = trace.subscribe((e) => seen.push(e))

    trace.record('note', { text: 'a' })
    unsubscribe()
    trace.record('note', { text: 'b' })

    expect(seen.map((e) => renderEvent(e))).toEqual(['    0.000s  note  text=a'])
  })
})

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ z: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"z":1}')
  })
})
