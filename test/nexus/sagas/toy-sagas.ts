// Toy sagas for the executor's tests: booking a hotel room (pick a room, reserve it, charge the card,
// notify the guest) over an in-memory `Hotel` service, plus deliberately broken variants that the
// saga harness must catch. Each world is fresh, seeded and on its own virtual clock.
import { Datastore } from '../../../nexus/db/datastore.ts'
import { ActionFailure } from '../../../nexus/sagas/saga-errors.ts'
import type { SagaContext, SagaDef } from '../../../nexus/sagas/saga-types.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { IdSource } from '../../../sim/kernel/ids.ts'
import { Rng } from '../../../sim/kernel/rng.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import { conflict } from '../../../nexus/app/errors.ts'
import type { SagaEnding, SagaTestWorld } from './saga-harness.ts'

export interface BookingParams {
  /** Who books; also the room's key in the ledger. */
  readonly guest: string
  readonly nights: number
}

export interface BookingOutputs {
  'pick-room': string
  'reserve-room': { readonly room: string; readonly floor: number }
  'charge-card': number
  'notify-guest': null
}

/** What the toy sagas touch: rooms, charges and sent notices, plus every call in order. */
export class Hotel {
  readonly rooms = new Map<string, string>()
  readonly charges = new Map<string, number>()
  readonly notices: string[] = []
  readonly calls: string[] = []
  /** When set, refunds throw (an undo that cannot complete). */
  refundsDown = false

  snapshot() {
    return { rooms: [...this.rooms], charges: [...this.charges], notices: [...this.notices] }
  }
}

export interface HotelServices {
  readonly hotel: Hotel
}

export type HotelSnapshot = ReturnType<Hotel['snapshot']>
type Ctx = SagaContext<BookingParams, BookingOutputs, HotelServices>

export const bookingSaga: SagaDef<BookingParams, BookingOutputs, HotelServices> = {
  name: 'toy_booking',
  nodes: [
    // Pure computation: there is nothing to undo.
    { name: 'pick-room', action: pickRoom, undo: null },
    { name: 'reserve-room', action: reserveRoom, undo: releaseRoom },
    { name: 'charge-card', action: chargeCard, undo: refundCard },
    // Last, and a sent notice cannot be unsent.
    { name: 'notify-guest', action: notifyGuest, undo: null },
  ],
}

async function pickRoom(ctx: Ctx): Promise<string> {
  await Promise.resolve()
  ctx.services.hotel.calls.push('pick-room')
  return `room-${ctx.params.guest}`
}

async function reserveRoom(ctx: Ctx): Promise<{ room: string; floor: number }> {
  const { hotel } = ctx.services
  const room = ctx.output('pick-room')
  await Promise.resolve()
  hotel.calls.push(`reserve ${room}`)
  const holder = hotel.rooms.get(room)
  if (holder !== undefined && holder !== ctx.sagaId) throw new ActionFailure(`reserve failed: room taken (${room})`, { apiError: conflict('room taken') })
  hotel.rooms.set(room, ctx.sagaId)
  return { room, floor: 3 }
}

async function releaseRoom(ctx: Ctx): Promise<void> {
  const { hotel } = ctx.services
  const { room } = ctx.output('reserve-room')
  await Promise.resolve()
  hotel.calls.push(`release ${room}`)
  if (hotel.rooms.get(room) === ctx.sagaId) hotel.rooms.delete(room)
}

async function chargeCard(ctx: Ctx): Promise<number> {
  const { hotel } = ctx.services
  const amount = ctx.params.nights * 100
  await Promise.resolve()
  hotel.calls.push(`charge ${amount}`)
  hotel.charges.set(ctx.params.guest, amount)
  return amount
}

async function refundCard(ctx: Ctx): Promise<void> {
  const { hotel } = ctx.services
  await Promise.resolve()
  hotel.calls.push(`refund ${ctx.output('charge-card')}`)
  if (hotel.refundsDown) throw new Error('refund failed: payment service down (toy)')
  hotel.charges.delete(ctx.params.guest)
}

async function notifyGuest(ctx: Ctx): Promise<null> {
  const { hotel } = ctx.services
  const notice = `${ctx.params.guest}: room ${ctx.output('reserve-room').room}, floor ${ctx.output('reserve-room').floor}`
  await Promise.resolve()
  hotel.calls.push('notify')
  if (!hotel.notices.includes(notice)) hotel.notices.push(notice)
  return null
}

/** Broken: charging adds to the guest's balance, so running it twice charges twice. */
export const doubleChargeSaga: SagaDef<BookingParams, BookingOutputs, HotelServices> = {
  name: 'toy_double_charge',
  nodes: bookingSaga.nodes.map((node) =>
    node.name === 'charge-card'
      ? {
          ...node,
          action: async (ctx: Ctx) => {
            const { hotel } = ctx.services
            const amount = ctx.params.nights * 100
            await Promise.resolve()
            hotel.charges.set(ctx.params.guest, (hotel.charges.get(ctx.params.guest) ?? 0) + amount)
            return amount
          },
        }
      : node,
  ),
}

/** Broken: reserving a room has no undo, so an unwound booking leaves the room held. */
export const leakyRoomSaga: SagaDef<BookingParams, BookingOutputs, HotelServices> = {
  name: 'toy_leaky_room',
  nodes: bookingSaga.nodes.map((node) => (node.name === 'reserve-room' ? { ...node, undo: null } : node)),
}

/** Broken: each refund posts a credit note, so running the undo twice leaves two. */
export const doubleRefundSaga: SagaDef<BookingParams, BookingOutputs, HotelServices> = {
  name: 'toy_double_refund',
  nodes: bookingSaga.nodes.map((node) =>
    node.name === 'charge-card'
      ? {
          ...node,
          undo: async (ctx: Ctx) => {
            const { hotel } = ctx.services
            await Promise.resolve()
            hotel.charges.delete(ctx.params.guest)
            hotel.notices.push(`credit note for ${ctx.params.guest}`)
          },
        }
      : node,
  ),
}

export interface HotelWorld extends SagaTestWorld<BookingParams, HotelServices, HotelSnapshot> {
  readonly db: Datastore
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly ids: IdSource
  readonly hotel: Hotel
}

/** A fresh hotel world on its own clock, datastore and id stream. */
export function hotelWorld(seed = 1): HotelWorld {
  const clock = new VirtualClock()
  const trace = new Trace(clock)
  const db = new Datastore({ now: () => clock.now() })
  const ids = new IdSource(new Rng(seed).fork('sagas'))
  const hotel = new Hotel()
  return {
    db,
    clock,
    trace,
    ids,
    hotel,
    services: { hotel },
    params: { guest: 'ada', nights: 2 },
    snapshot: () => hotel.snapshot(),
    check: (ending: SagaEnding) => {
      // A booking either holds a room and a charge, or nothing at all.
      if (ending.kind === 'succeeded') {
        if (hotel.rooms.size !== 1 || hotel.charges.get('ada') !== 200) throw new Error(`booked world is wrong: ${JSON.stringify(hotel.snapshot())}`)
      } else if (ending.kind === 'unwound' && (hotel.rooms.size !== 0 || hotel.charges.size !== 0)) {
        throw new Error(`unwound at ${ending.failedNode} but left ${JSON.stringify(hotel.snapshot())}`)
      }
    },
  }
}
