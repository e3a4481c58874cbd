import { describe, expect, it } from 'vitest'
import { insufficientCapacity, NexusApiError } from '../../../nexus/app/errors.ts'
import { SagaExecutor } from '../../../nexus/sagas/executor.ts'
import { ActionFailure } from '../../../nexus/sagas/saga-errors.ts'
import { SagaFaults } from '../../../nexus/sagas/saga-faults.ts'
import { SagaRegistryError } from '../../../nexus/sagas/saga-registry.ts'
import type { SagaDef, UntypedOutputs } from '../../../nexus/sagas/saga-types.ts'
import { bookingSaga, hotelWorld, type HotelServices } from './toy-sagas.ts'

function setup(options: { repeat?: boolean } = {}) {
  const world = hotelWorld()
  const faults = new SagaFaults()
  const executor = new SagaExecutor<HotelServices>({ ...world, faults, repeatActions: options.repeat ?? false, repeatUndos: options.repeat ?? false })
  return { ...world, faults, executor }
}

const NODES = bookingSaga.nodes.map((n) => n.name)

describe('SagaExecutor.run', () => {
  it('runs every node in order and returns the logged outputs', async () => {
    const { executor, hotel, db } = setup()

    const outcome = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(outcome).toEqual({
      kind: 'succeeded',
      sagaId: outcome.sagaId,
      outputs: { 'pick-room': 'room-ada', 'reserve-room': { room: 'room-ada', floor: 3 }, 'charge-card': 200, 'notify-guest': null },
    })
    expect(hotel.calls).toEqual(['pick-room', 'reserve room-ada', 'charge 200', 'notify'])
    expect(db.sagaGet(outcome.sagaId)?.state).toBe('succeeded')
  })

  it('logs started then succeeded for each node before the saga finishes', async () => {
    const { executor, db } = setup()

    const { sagaId } = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    const record = db.sagaGet(sagaId)
    expect(record?.params).toEqual({ guest: 'ada', nights: 2 })
    expect(record?.events.map((e) => `${e.kind} ${e.node}`)).toEqual(NODES.flatMap((n) => [`started ${n}`, `succeeded ${n}`]))
    expect(record?.events.find((e) => e.node === 'reserve-room' && e.kind === 'succeeded')).toMatchObject({ output: { room: 'room-ada', floor: 3 } })
  })

  it('gives later nodes the logged JSON of an output, not the live object the action returned', async () => {
    const { executor } = setup()
    const live = { n: 1 }
    const seen: unknown[] = []
    const saga: SagaDef<null, { make: { n: number }; read: null }> = {
      name: 'toy_outputs',
      nodes: [
        { name: 'make', action: async () => live, undo: null },
        {
          name: 'read',
          action: async (ctx) => {
            live.n = 2
            seen.push(ctx.output('make'))
            return null
          },
          undo: null,
        },
      ],
    }

    await executor.run(saga, null)

    expect(seen).toEqual([{ n: 1 }])
  })

  it.each(NODES.map((node, i) => [node, i] as const))('unwinds from a failure at %s, undoing the completed nodes last first', async (node, index) => {
    const { executor, faults, hotel, db } = setup()
    faults.failAt('toy_booking', node)

    const outcome = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(outcome).toMatchObject({ kind: 'unwound', failedNode: node, error: { injected: true } })
    const undos = ['release room-ada', 'refund 200'].slice(0, Math.max(0, index - 1)).reverse()
    expect(hotel.calls.filter((c) => c.startsWith('release') || c.startsWith('refund'))).toEqual(undos)
    expect(hotel.snapshot()).toEqual({ rooms: [], charges: [], notices: [] })
    expect(db.readView().sagas()).toEqual([{ id: outcome.sagaId, name: 'toy_booking', state: 'unwound', failedNode: node }])
  })

  it('logs the failure and each undo around it, and leaves nodes without an undo out of the unwinding', async () => {
    const { executor, faults, db } = setup()
    faults.failAt('toy_booking', 'notify-guest')

    const { sagaId } = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(db.sagaGet(sagaId)?.events.map((e) => `${e.kind} ${e.node}`)).toEqual([
      'started pick-room',
      'succeeded pick-room',
      'started reserve-room',
      'succeeded reserve-room',
      'started charge-card',
      'succeeded charge-card',
      'started notify-guest',
      'failed notify-guest',
      'undo_started charge-card',
      'undo_finished charge-card',
      'undo_started reserve-room',
      'undo_finished reserve-room',
    ])
    expect(db.sagaGet(sagaId)?.events[7]).toMatchObject({ error: 'action failed: injected by sagaFaults.failAt (toy_booking/notify-guest)' })
  })

  it('surfaces the API error an ActionFailure carries', async () => {
    const { executor, hotel } = setup()
    hotel.rooms.set('room-ada', 'someone-else')

    const outcome = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(outcome.kind === 'unwound' && outcome.failedNode).toBe('reserve-room')
    expect(outcome.kind === 'unwound' && outcome.error.apiError?.statusCode).toBe(409)
    expect(outcome.kind === 'unwound' && outcome.error.message).toBe('reserve failed: room taken (room-ada)')
  })

  it('surfaces the API error an injected failure is given', async () => {
    const { executor, faults } = setup()
    faults.failAt('toy_booking', 'reserve-room', { error: insufficientCapacity('no rooms') })

    const outcome = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(outcome.kind === 'unwound' && outcome.error.apiError?.statusCode).toBe(507)
  })

  it.each([
    ['a NexusApiError', new NexusApiError(503, 'ServiceNotAvailable', 'Service Unavailable', 'sled gone'), 'sled gone', 503],
    ['a plain Error', new TypeError('a bug'), 'a bug', undefined],
    ['a string', 'oops', 'oops', undefined],
  ])('fails the node and keeps the cause when an action throws %s', async (_what, thrown, message, status) => {
    const { executor, db } = setup()
    const saga: SagaDef<null> = { name: 'toy_throw', nodes: [{ name: 'boom', action: () => Promise.reject(thrown), undo: null }] }

    const outcome = await executor.run(saga, null)

    expect(outcome.kind).toBe('unwound')
    if (outcome.kind !== 'unwound') return
    expect(outcome.error).toBeInstanceOf(ActionFailure)
    expect([outcome.error.message, outcome.error.cause, outcome.error.apiError?.statusCode]).toEqual([message, thrown, status])
    expect(db.sagaGet(outcome.sagaId)?.events.at(-1)).toMatchObject({ kind: 'failed', error: message })
  })

  it('ends stuck when an undo throws, stops unwinding there, and shows the saga stuck in the log', async () => {
    const { executor, faults, hotel, db } = setup()
    hotel.refundsDown = true
    faults.failAt('toy_booking', 'notify-guest')

    const outcome = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(outcome).toMatchObject({ kind: 'stuck', failedNode: 'notify-guest', undoNode: 'charge-card', undoError: { message: 'refund failed: payment service down (toy)' } })
    expect(hotel.calls).not.toContain('release room-ada')
    expect(db.sagaGet(outcome.sagaId)).toMatchObject({ state: 'stuck', failedNode: 'notify-guest', undoFailedNode: 'charge-card' })
    expect(db.sagaGet(outcome.sagaId)?.events.at(-1)).toMatchObject({ kind: 'undo_failed', node: 'charge-card', error: 'refund failed: payment service down (toy)' })
    expect(db.readView().sagas({ state: 'stuck' })).toEqual([{ id: outcome.sagaId, name: 'toy_booking', state: 'stuck', failedNode: 'notify-guest' }])
  })

  it('ends stuck when a saga fault targets an undo', async () => {
    const { executor, faults } = setup()
    faults.failAt('toy_booking', 'charge-card')
    faults.failUndoAt('toy_booking', 'reserve-room')

    const outcome = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(outcome).toMatchObject({ kind: 'stuck', failedNode: 'charge-card', undoNode: 'reserve-room', undoError: { name: 'SagaFaultError' } })
  })

  it('runs every action and undo twice in idempotence mode', async () => {
    const { executor, faults, hotel } = setup({ repeat: true })
    faults.failAt('toy_booking', 'notify-guest')

    await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(hotel.calls).toEqual(['pick-room', 'pick-room', 'reserve room-ada', 'reserve room-ada', 'charge 200', 'charge 200', 'refund 200', 'refund 200', 'release room-ada', 'release room-ada'])
  })

  it('throws from output() for a node that has not succeeded', async () => {
    const { executor } = setup()
    const saga: SagaDef<null> = { name: 'toy_early', nodes: [{ name: 'peek', action: async (ctx) => ctx.output('later'), undo: null }, { name: 'later', action: async () => 1, undo: null }] }

    const outcome = await executor.run(saga, null)

    expect(outcome.kind === 'unwound' && outcome.error.message).toMatch(/^saga output failed: node later has not succeeded \(saga toy_early /)
  })

  it('runs another saga from inside an action through ctx.sagas', async () => {
    const { executor, db } = setup()
    const child: SagaDef<{ n: number }, UntypedOutputs, HotelServices> = { name: 'toy_child', nodes: [{ name: 'double', action: async (ctx) => ctx.params.n * 2, undo: null }] }
    const parent: SagaDef<null, UntypedOutputs, HotelServices> = {
      name: 'toy_parent',
      nodes: [{ name: 'call-child', action: async (ctx) => { const out = await ctx.sagas.run(child, { n: 21 }); return out.kind === 'succeeded' ? out.outputs['double'] ?? null : null }, undo: null }],
    }

    const outcome = await executor.run(parent, null)

    expect(outcome.kind === 'succeeded' && outcome.outputs['call-child']).toBe(42)
    expect(db.sagaList().map((s) => `${s.name} ${s.state}`)).toEqual(['toy_parent succeeded', 'toy_child succeeded'])
  })

  it('refuses a saga with two nodes of the same name, and another saga under a registered name', async () => {
    const { executor } = setup()
    const twice: SagaDef<null> = { name: 'toy_twice', nodes: [{ name: 'a', action: async () => 1, undo: null }, { name: 'a', action: async () => 2, undo: null }] }
    await executor.run(bookingSaga, { guest: 'ada', nights: 1 })

    await expect(executor.run(twice, null)).rejects.toThrow(SagaRegistryError)
    await expect(executor.run({ ...bookingSaga }, { guest: 'bob', nights: 1 })).rejects.toThrow('another saga is already registered as toy_booking')
  })
})

describe('SagaExecutor.spawn', () => {
  it('starts a saga in the background, logged at once, and tells when it is done', async () => {
    const { executor } = setup()

    const spawned = executor.spawn(bookingSaga, { guest: 'ada', nights: 2 })
    const before = [executor.sagaState(spawned.sagaId), executor.isDone(spawned.sagaId), executor.running()]
    const outcome = await spawned.done

    expect(before).toEqual(['running', false, [spawned.sagaId]])
    expect([outcome.kind, executor.sagaState(spawned.sagaId), executor.isDone(spawned.sagaId), executor.running()]).toEqual(['succeeded', 'succeeded', true, []])
  })

  it('knows no state for an unknown saga id', () => {
    const { executor, ids } = setup()

    expect([executor.sagaState(ids.shortId()), executor.isDone(ids.shortId())]).toEqual([null, false])
  })
})

describe('the saga trace', () => {
  it('records a line for the start, each node event, each fault and the end', async () => {
    const { executor, faults, trace } = setup()
    faults.failAt('toy_booking', 'charge-card')

    const { sagaId } = await executor.run(bookingSaga, { guest: 'ada', nights: 2 })

    expect(trace.lines().map((l) => l.replaceAll(sagaId, 'ID'))).toEqual([
      '    0.000s  saga.started  saga=ID  name=toy_booking',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=pick-room  event=started',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=pick-room  event=succeeded',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=reserve-room  event=started',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=reserve-room  event=succeeded',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=charge-card  event=started',
      '    0.000s  fault.saga  saga=ID  name=toy_booking  node=charge-card  fault=fail_action',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=charge-card  event=failed  error="action failed: injected by sagaFaults.failAt (toy_booking/charge-card)"',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=reserve-room  event=undo_started',
      '    0.000s  saga.node  saga=ID  name=toy_booking  node=reserve-room  event=undo_finished',
      '    0.000s  saga.finished  saga=ID  name=toy_booking  outcome=unwound  failed_node=charge-card',
    ])
  })
})
