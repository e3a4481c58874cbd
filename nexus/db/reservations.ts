// Sled reservations (`sled_resource_vmm`): the hardware threads and reservoir a VMM holds on its
// sled. Inserting one re-validates the sled's space, as omicron's insert query does, and a second
// live reservation of a kind for an instance is placement's expected "already starting/migrating".
// Mirrors: omicron nexus/db-queries/src/db/queries/sled_reservation.rs and datastore/sled.rs@b848b6d.
import type { InstanceUuid, PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { affinityAllowsSled } from './affinity-queries.ts'
import { reservationCollision } from './constraints.ts'
import type { SledReservationRecord, SledReservationState } from './records.ts'
import type { Tables } from './tables.ts'

/** 409 for a second `active` reservation of an instance (reason Start). */
export const ALREADY_STARTING_MESSAGE = 'Instance already starting'
/** 409 for a second `target` reservation of an instance (reason MigrationTarget). */
export const ALREADY_MIGRATING_MESSAGE = 'Instance already migrating'

export interface SledReservationParams {
  readonly propolisId: PropolisUuid
  readonly sledId: SledUuid
  readonly instanceId: InstanceUuid
  /** The instance's ncpus. */
  readonly hardwareThreads: number
  /** The instance's memory, bytes. */
  readonly reservoirRam: number
  /** `active` for a start, `target` for a migration target. */
  readonly state: Exclude<SledReservationState, 'tombstoned'>
}

export type SledReservationInsertOutcome =
  /** The new reservation, or (idempotent replay) the one already held for this propolis id. */
  | { readonly kind: 'reserved'; readonly reservation: SledReservationRecord }
  /** The instance already has a live reservation of this kind: omicron's `ReservationExists`, 409. */
  | { readonly kind: 'conflict'; readonly message: string }
  /**
   * The sled is unknown, not `in_service`, would be over-committed, or (since the sled was chosen)
   * breaks one of the instance's `fail` groups: placement tries another.
   */
  | { readonly kind: 'sled_unavailable'; readonly reason: 'no_such_sled' | 'not_in_service' | 'insufficient_capacity' | 'banned_by_anti_affinity' | 'not_required_by_affinity' }

/**
 * Reserves the VMM's resources on the chosen sled if the sled is `in_service`, still has room, and
 * still suits the instance's `fail` affinity and anti-affinity groups (omicron's sentinels
 * SLED_HAS_SPACE, BANNED_SLEDS, REQUIRED_SLEDS). Choosing the sled is placement's job, not this query's.
 */
// Simplification: no local-storage allocations.
export function sledReservationInsert(t: Tables, params: SledReservationParams): SledReservationInsertOutcome {
  const existing = t.reservations.get(params.propolisId)
  if (existing !== undefined) return { kind: 'reserved', reservation: { ...existing } }
  const sled = t.sleds.get(params.sledId)
  if (sled === undefined) return { kind: 'sled_unavailable', reason: 'no_such_sled' }
  if (sled.policy !== 'in_service') return { kind: 'sled_unavailable', reason: 'not_in_service' }
  const used = sledUsage(t, params.sledId)
  if (used.hardwareThreads + params.hardwareThreads > sled.hardwareThreads || used.reservoirRam + params.reservoirRam > sled.reservoirBytes) {
    return { kind: 'sled_unavailable', reason: 'insufficient_capacity' }
  }
  const affinity = affinityAllowsSled(t, params.instanceId, params.sledId)
  if (affinity === 'banned') return { kind: 'sled_unavailable', reason: 'banned_by_anti_affinity' }
  if (affinity === 'not_required') return { kind: 'sled_unavailable', reason: 'not_required_by_affinity' }
  const row: SledReservationRecord = {
    id: params.propolisId,
    sledId: params.sledId,
    instanceId: params.instanceId,
    hardwareThreads: params.hardwareThreads,
    reservoirRam: params.reservoirRam,
    state: params.state,
  }
  // The unique index only fires for a reservation the re-validation let through, as in omicron.
  if (reservationCollision(row, t.reservationsOfInstance(row.instanceId)) !== null) {
    return { kind: 'conflict', message: params.state === 'active' ? ALREADY_STARTING_MESSAGE : ALREADY_MIGRATING_MESSAGE }
  }
  return { kind: 'reserved', reservation: { ...t.putReservation(row, 'insert') } }
}

/** The reservation held for a VMM, if any. */
export function sledReservationGet(t: Tables, propolisId: PropolisUuid): SledReservationRecord | null {
  const row = t.reservations.get(propolisId)
  return row === undefined ? null : { ...row }
}

export interface SledReservationFilter {
  readonly sledId?: SledUuid
  readonly instanceId?: InstanceUuid
  readonly state?: SledReservationState
}

/** Reservations in insertion order. */
export function sledReservationList(t: Tables, filter: SledReservationFilter = {}): SledReservationRecord[] {
  const rows: SledReservationRecord[] = []
  for (const row of t.reservations.values()) {
    if (filter.sledId !== undefined && row.sledId !== filter.sledId) continue
    if (filter.instanceId !== undefined && row.instanceId !== filter.instanceId) continue
    if (filter.state !== undefined && row.state !== filter.state) continue
    rows.push({ ...row })
  }
  return rows
}

export type SledReservationWriteOutcome = { readonly kind: 'updated'; readonly reservation: SledReservationRecord } | { readonly kind: 'not_found' }

/** Sets one reservation's state; a second live reservation of a kind for the instance throws. */
export function sledReservationSetState(t: Tables, propolisId: PropolisUuid, state: SledReservationState): SledReservationWriteOutcome {
  const row = t.reservations.get(propolisId)
  if (row === undefined) return { kind: 'not_found' }
  return { kind: 'updated', reservation: { ...t.putReservation({ ...row, state }, 'update') } }
}

export interface MigrationReservationSwap {
  /** The source's reservation after the swap (`tombstoned`), or null if it had none. */
  readonly source: SledReservationRecord | null
  /** The target's reservation after the swap (`active`), or null if it had none. */
  readonly target: SledReservationRecord | null
}

/**
 * After the target side reports the migration completed: the source's reservation becomes
 * `tombstoned` and the target's `active`, in that order so the instance never holds two live
 * `active` ones. Idempotent. Tombstoned resources still count against the sled until reaped.
 */
export function sledReservationSwapForMigration(t: Tables, sourcePropolisId: PropolisUuid, targetPropolisId: PropolisUuid): MigrationReservationSwap {
  const source = t.reservations.get(sourcePropolisId)
  const target = t.reservations.get(targetPropolisId)
  const tombstoned = source === undefined ? null : t.putReservation({ ...source, state: 'tombstoned' }, 'update')
  const active = target === undefined ? null : t.putReservation({ ...target, state: 'active' }, 'update')
  return { source: tombstoned === null ? null : { ...tombstoned }, target: active === null ? null : { ...active } }
}

export type SledReservationDeleteOutcome = { readonly kind: 'deleted'; readonly reservation: SledReservationRecord } | { readonly kind: 'not_found' }

/** Frees a VMM's reservation (start-saga undo, VMM destroy, reaper). `not_found` is tolerated by every caller. */
export function sledReservationDelete(t: Tables, propolisId: PropolisUuid): SledReservationDeleteOutcome {
  const row = t.reservations.get(propolisId)
  if (row === undefined) return { kind: 'not_found' }
  t.deleteReservation(row)
  return { kind: 'deleted', reservation: { ...row } }
}

/** What a sled has reserved: the sums of its reservations' columns. */
export interface SledUsage {
  readonly hardwareThreads: number
  /** Bytes. */
  readonly reservoirRam: number
}

/**
 * What is reserved on a sled: the sum over *every* reservation, tombstoned ones included (a
 * migrated-away source still runs until it is destroyed), which is what omicron's placement
 * counts against the sled's capacity.
 */
export function sledUsage(t: Tables, sledId: SledUuid): SledUsage {
  return t.sledUsage(sledId)
}
