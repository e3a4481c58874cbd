import { describe, expect, it } from 'vitest'
import { SagaExecutor } from '../../../nexus/sagas/executor.ts'
import { NexusCrashedError } from '../../../nexus/sagas/saga-errors.ts'
import { SagaFaults } from '../../../nexus/sagas/saga-faults.ts'
import { SagaRegistry, SagaRegistryError } from '../../../nexus/sagas/saga-registry.ts'
import type { SagaDef } from '../../../nexus/sagas/saga-types.ts'
import { bookingSaga, hotelWorld, type BookingOutputs, type BookingParams, type HotelServices } from './toy-sagas.ts'

/** A Nexus over a hotel world, and a way to restart it over the same store, services and faults. */
function setup() {
  const world = hotelWorld()
  const faults = new SagaFaults()
  const registry = new SagaRegistry<HotelServices>()
  const nexus = () => new SagaExecutor<HotelServices>({ ...world, faults, registry })
  return { ...world, faults, registry, nexus, executor: nexus() }
}

/** A saga whose one node waits on the virtual clock, so it is still running when Nexus crashes. */
const napSaga: SagaDef<{ ms: number }, { nap: number }, HotelServices> = {
  name: 'toy_nap',
  nodes: [
    {
      name: 'nap',
      action: async (ctx) => {
        await ctx.clock.sleep(ctx.params.ms)
        ctx.services.hotel.calls.push(`woke after ${ctx.params.ms}`)
        return ctx.params.ms
      },
      undo: null,
    },
  ],
}

describe('a Nexus crash', () => {
  it('rejects the pending run with NexusCrashedError right after the node, leaving the saga running in the log', async () => {
    const { executor, faults, db, trace, hotel } = setup()
    faults.crashNexusAfter('toy_booking', 'reserve-room')

    const run = executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    await expect(run).rejects.toThrow(NexusCrashedError)
    const [saga] = db.sagaList()
    expect(saga?.state).toBe('running')
    expect(saga?.events.map((e) => `${e.kind} ${e.node}`).slice(-1)).toEqual(['succeeded reserve-room'])
    expect(hotel.calls).toEqual(['pick-room', 'reserve room-ada'])
    expect(trace.lines().slice(-2).map((l) => l.replaceAll(saga?.id ?? '?', 'ID'))).toEqual([
      '    0.000s  fault.saga  saga=ID  name=toy_booking  node=reserve-room  fault=crash_after_succeeded',
      '    0.000s  nexus.crashed  reason="sagaFaults.crashNexusAfter toy_booking/reserve-room after_succeeded"  sagas=["ID"]',
    ])
  })

  it('tells onCrash once, with the reason, whether a saga fault or crash() crashed it', async () => {
    const world = hotelWorld()
    const faults = new SagaFaults()
    const told: string[] = []
    const executor = new SagaExecutor<HotelServices>({ ...world, faults, onCrash: (reason) => told.push(reason) })
    faults.crashNexusAfter('toy_booking', 'pick-room')

    await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow(NexusCrashedError)
    executor.crash()

    expect(told).toEqual(['sagaFaults.crashNexusAfter toy_booking/pick-room after_succeeded'])
  })

  it('names the saga’s instance on saga.started and saga.resumed when its definition says which', async () => {
    const { faults, registry, trace, db, nexus } = setup()
    const aboutGuest: SagaDef<BookingParams, BookingOutputs, HotelServices> = { ...bookingSaga, name: 'toy_about_guest', instanceOf: (params) => params.guest }
    faults.crashNexusAfter('toy_about_guest', 'pick-room')
    registry.register(aboutGuest)
    await expect(nexus().run(aboutGuest, { guest: 'ada', nights: 1 })).rejects.toThrow(NexusCrashedError)

    await nexus().recover()

    const id = db.sagaList()[0]?.id ?? '?'
    expect(trace.lines().filter((l) => /saga\.(started|resumed)/.test(l)).map((l) => l.replaceAll(id, 'ID'))).toEqual([
      '    0.000s  saga.started  saga=ID  name=toy_about_guest  instance=ada',
      '    0.000s  saga.resumed  saga=ID  name=toy_about_guest  instance=ada  phase=forward  node=reserve-room',
    ])
  })

  it('leaves a crashed executor refusing new work: run, spawn and recover', async () => {
    const { executor } = setup()
    executor.crash()

    expect(executor.crashed).toBe(true)
    await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow('saga toy_booking refused: nexus crashed (nexus.crash())')
    expect(() => executor.spawn(bookingSaga, { guest: 'ada', nights: 2 })).toThrow(NexusCrashedError)
    await expect(executor.recover()).rejects.toThrow(NexusCrashedError)
  })

  it('rejects every pending saga at once, even one waiting on the clock, and logs nothing more for them', async () => {
    const { executor, db, clock, hotel } = setup()
    const napping = executor.run(napSaga, { ms: 1_000 })
    const background = executor.spawn(napSaga, { ms: 2_000 })
    await clock.advance(500)

    executor.crash()

    await expect(napping).rejects.toThrow(NexusCrashedError)
    await expect(background.done).rejects.toThrow(NexusCrashedError)
    await clock.advance(5_000)
    expect(hotel.calls).toEqual(['woke after 1000', 'woke after 2000'])
    expect(db.sagaList().map((s) => [s.state, s.events.map((e) => e.kind)])).toEqual([
      ['running', ['started']],
      ['running', ['started']],
    ])
  })
})

describe('SagaExecutor.recover', () => {
  it('carries a saga crashed between two nodes to success on a fresh executor', async () => {
    const { executor, faults, nexus, db, hotel } = setup()
    faults.crashNexusAfter('toy_booking', 'reserve-room')
    const crashed = executor.run(bookingSaga, { guest: 'ada', nights: 2 })
    await expect(crashed).rejects.toThrow(NexusCrashedError)

    const recovered = await nexus().recover()

    expect(recovered).toEqual([{ sagaId: db.sagaList()[0]?.id, name: 'toy_booking', outcome: expect.objectContaining({ kind: 'succeeded' }) }])
    expect(recovered[0]?.outcome).toMatchObject({ outputs: { 'reserve-room': { room: 'room-ada', floor: 3 }, 'charge-card': 200 } })
    expect(hotel.calls).toEqual(['pick-room', 'reserve room-ada', 'charge 200', 'notify'])
    expect(db.sagaList()[0]?.state).toBe('succeeded')
  })

  it('runs again a node that started but never logged success, without logging its start twice', async () => {
    const { executor, faults, nexus, db, hotel } = setup()
    faults.crashNexusAfter('toy_booking', 'charge-card', { at: 'before_succeeded' })
    await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow(NexusCrashedError)

    await nexus().recover()

    expect(hotel.calls.filter((c) => c.startsWith('charge'))).toEqual(['charge 200', 'charge 200'])
    expect(db.sagaList()[0]?.events.filter((e) => e.node === 'charge-card').map((e) => e.kind)).toEqual(['started', 'succeeded'])
  })

  it('resumes unwinding where the crash stopped it, with the logged failure as the error', async () => {
    const { executor, faults, nexus, hotel, trace, db } = setup()
    faults.failAt('toy_booking', 'notify-guest')
    faults.crashNexusAfter('toy_booking', 'charge-card', { at: 'after_undo_finished' })
    await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow(NexusCrashedError)

    const [recovered] = await nexus().recover()

    expect(recovered?.outcome).toMatchObject({ kind: 'unwound', failedNode: 'notify-guest', error: { message: 'action failed: injected by sagaFaults.failAt (toy_booking/notify-guest)' } })
    expect(hotel.calls.slice(3)).toEqual(['refund 200', 'release room-ada'])
    expect(trace.lines().filter((l) => l.includes('saga.resumed')).map((l) => l.replaceAll(db.sagaList()[0]?.id ?? '?', 'ID'))).toEqual([
      '    0.000s  saga.resumed  saga=ID  name=toy_booking  phase=unwinding  node=reserve-room',
    ])
  })

  it('re-runs an undo whose end was never logged', async () => {
    const { executor, faults, nexus, hotel } = setup()
    faults.failAt('toy_booking', 'notify-guest')
    faults.crashNexusAfter('toy_booking', 'charge-card', { at: 'before_undo_finished' })
    await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow(NexusCrashedError)

    const [recovered] = await nexus().recover()

    expect(recovered?.outcome.kind).toBe('unwound')
    expect(hotel.calls.slice(3)).toEqual(['refund 200', 'refund 200', 'release room-ada'])
  })

  it('unwinds every completed node when Nexus died right after logging the failure', async () => {
    const { executor, faults, nexus, hotel } = setup()
    faults.failAt('toy_booking', 'charge-card')
    faults.crashNexusAfter('toy_booking', 'charge-card', { at: 'after_failed' })
    await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow(NexusCrashedError)

    const [recovered] = await nexus().recover()

    expect(recovered?.outcome).toMatchObject({ kind: 'unwound', failedNode: 'charge-card' })
    expect(hotel.snapshot()).toEqual({ rooms: [], charges: [], notices: [] })
  })

  it('finishes from the log alone a saga whose nodes all succeeded, or whose undo failure was logged', async () => {
    const { db, ids, registry, nexus } = setup()
    registry.register(bookingSaga)
    const done = ids.shortId()
    db.sagaCreate({ id: done, name: 'toy_booking', params: { guest: 'ada', nights: 1 } })
    for (const node of ['pick-room', 'reserve-room', 'charge-card', 'notify-guest']) {
      db.sagaAppendEvent(done, { kind: 'started', node })
      db.sagaAppendEvent(done, { kind: 'succeeded', node, output: node === 'pick-room' ? 'room-ada' : null })
    }
    const stuck = ids.shortId()
    db.sagaCreate({ id: stuck, name: 'toy_booking', params: { guest: 'bob', nights: 1 } })
    db.sagaAppendEvent(stuck, { kind: 'started', node: 'pick-room' })
    db.sagaAppendEvent(stuck, { kind: 'succeeded', node: 'pick-room', output: 'room-bob' })
    db.sagaAppendEvent(stuck, { kind: 'started', node: 'reserve-room' })
    db.sagaAppendEvent(stuck, { kind: 'succeeded', node: 'reserve-room', output: { room: 'room-bob', floor: 3 } })
    db.sagaAppendEvent(stuck, { kind: 'started', node: 'charge-card' })
    db.sagaAppendEvent(stuck, { kind: 'failed', node: 'charge-card', error: 'card declined' })
    db.sagaAppendEvent(stuck, { kind: 'undo_started', node: 'reserve-room' })
    db.sagaAppendEvent(stuck, { kind: 'undo_failed', node: 'reserve-room', error: 'ledger down' })

    const recovered = await nexus().recover()

    expect(recovered.map((r) => [r.sagaId, r.outcome.kind])).toEqual([
      [done, 'succeeded'],
      [stuck, 'stuck'],
    ])
    expect(recovered[1]?.outcome).toMatchObject({ failedNode: 'charge-card', undoNode: 'reserve-room', error: { message: 'card declined' }, undoError: { message: 'ledger down' } })
    expect(db.readView().sagas().map((s) => s.state)).toEqual(['succeeded', 'stuck'])
  })

  it('resumes every running saga at once and reports their outcomes in creation order', async () => {
    const { executor, nexus, clock, db } = setup()
    void executor.run(napSaga, { ms: 3_000 }).catch(() => {})
    void executor.run(bookingSaga, { guest: 'ada', nights: 2 }).catch(() => {})
    executor.spawn(napSaga, { ms: 1_000 })
    await clock.settle()
    executor.crash()

    const recovering = nexus().recover()
    await clock.advance(3_000)
    const recovered = await recovering

    expect(recovered.map((r) => `${r.name} ${r.outcome.kind}`)).toEqual(['toy_nap succeeded', 'toy_nap succeeded'])
    expect(db.sagaList().map((s) => `${s.name} ${s.state}`)).toEqual(['toy_nap succeeded', 'toy_booking succeeded', 'toy_nap succeeded'])
  })

  it('after a crash inside a child saga, finishes the child and re-runs the parent node, which starts a new child', async () => {
    const { executor, faults, nexus, db, hotel } = setup()
    const child: SagaDef<{ n: number }, { work: number }, HotelServices> = {
      name: 'toy_child',
      nodes: [{ name: 'work', action: async (ctx) => { ctx.services.hotel.calls.push(`child ${ctx.sagaId}`); return ctx.params.n }, undo: null }],
    }
    const parent: SagaDef<null, { call: number }, HotelServices> = {
      name: 'toy_parent',
      nodes: [{ name: 'call', action: async (ctx) => { const out = await ctx.sagas.run(child, { n: 7 }); return out.kind === 'succeeded' ? out.outputs.work : -1 }, undo: null }],
    }
    faults.crashNexusAfter('toy_child', 'work')
    await expect(executor.run(parent, null)).rejects.toThrow(NexusCrashedError)

    const recovered = await nexus().recover()

    expect(recovered.map((r) => `${r.name} ${r.outcome.kind}`)).toEqual(['toy_parent succeeded', 'toy_child succeeded'])
    expect(recovered[0]?.outcome).toMatchObject({ outputs: { call: 7 } })
    expect(db.sagaList().map((s) => `${s.name} ${s.state}`)).toEqual(['toy_parent succeeded', 'toy_child succeeded', 'toy_child succeeded'])
    expect(hotel.calls).toHaveLength(2)
  })

  it('produces a byte-identical trace when the same crash and recovery run twice', async () => {
    async function once(): Promise<string> {
      const { executor, faults, nexus, trace } = setup()
      faults.failAt('toy_booking', 'notify-guest')
      faults.crashNexusAfter('toy_booking', 'charge-card', { at: 'before_undo_finished' })
      await expect(executor.run(bookingSaga, { guest: 'ada', nights: 2 })).rejects.toThrow(NexusCrashedError)
      await nexus().recover()
      return trace.hash()
    }

    expect(await once()).toBe(await once())
  })

  it('refuses to recover a log that names a saga nobody registered', async () => {
    const { db, ids } = setup()
    db.sagaCreate({ id: ids.shortId(), name: 'toy_unknown', params: null })
    const fresh = new SagaExecutor<HotelServices>({ ...hotelWorld(), db, faults: new SagaFaults() })

    await expect(fresh.recover()).rejects.toThrow(SagaRegistryError)
    expect(db.sagaList()[0]?.state).toBe('running')
  })
})
