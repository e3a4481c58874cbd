// The instance-start saga's ALLOC_SERVER and ALLOC_PROPOLIS_IP: choose a sled with `chooseSled`,
// reserve on it (the insert re-validates; a sled that fails the re-check is dropped and placement
// runs again), and derive the new VMM's address on that sled.
// Mirrors: omicron nexus/src/app/sagas/instance_common.rs and datastore/sled.rs@b848b6d
// (`reserve_vmm_resources`, `sled_reservation_create`, `allocate_vmm_ipv6`).
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { conflict, internalError } from '../app/errors.ts'
import { chooseSled, compatibleSledCpuFamilies, placementError, seededPick, sledAffinityFromTags, type PickSled, type PlacementRequest, type PlacementSled } from '../app/placement.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceRecord, SledReservationState } from '../db/records.ts'

export interface VmmReservationRequest {
  readonly instance: InstanceRecord
  readonly propolisId: PropolisUuid
  /** Seeds the choice among equally good sleds (the saga id: stable across replays and recovery). */
  readonly seed: string
}

/**
 * Reserves the instance's ncpus and memory for `propolisId` on a sled and returns the sled. Idempotent:
 * a reservation already held for this propolis id is returned as it is. The sleds where other members
 * of the instance's affinity and anti-affinity groups hold reservations constrain the choice. Throws
 * the placement error (507 or 400, `placementError`) or 409 "Instance already starting".
 */
// Simplification: no local-storage disks.
export function reserveVmmResources(db: Datastore, request: VmmReservationRequest): SledUuid {
  const { instance, propolisId } = request
  const held = db.sledReservationGet(propolisId)
  if (held !== null) return held.sledId
  // Read once, as omicron's `sled_find_targets_query`; a sled dropped below leaves every set with it
  // (it is no longer a candidate), except that a dropped required sled is still required.
  const placementRequest = {
    hardwareThreads: instance.ncpus,
    reservoirRam: instance.memory,
    cpuFamilies: instance.cpuPlatform === null ? null : compatibleSledCpuFamilies(instance.cpuPlatform),
    affinity: sledAffinityFromTags(db.sledAffinityTags(instance.id)),
  }
  return placeAndReserve(db, { instance, propolisId, placementRequest, state: 'active', pick: (attempt) => seededPick(`${request.seed}/${attempt}`) })
}

export interface PlaceAndReserve {
  readonly instance: InstanceRecord
  readonly propolisId: PropolisUuid
  readonly placementRequest: PlacementRequest
  /** `active` for a start, `target` for a migration. */
  readonly state: Exclude<SledReservationState, 'tombstoned'>
  /** How to choose among equally good sleds on each attempt. */
  readonly pick: (attempt: number) => PickSled
}

/**
 * Chooses a sled and reserves on it; the insert re-validates, and a sled that fails the re-check is
 * dropped and placement runs again. Throws the placement error, or 409 with the insert's message when
 * the instance already holds a reservation of this kind (another start, or another migration).
 */
export function placeAndReserve(db: Datastore, request: PlaceAndReserve): SledUuid {
  const { instance, propolisId, placementRequest, state } = request
  const dropped = new Set<SledUuid>()
  for (let attempt = 0; ; attempt += 1) {
    const placement = chooseSled(placementSleds(db, dropped), placementRequest, request.pick(attempt))
    if (placement.kind === 'failed') throw placementError(placement.failure)
    const outcome = db.sledReservationInsert({
      propolisId,
      sledId: placement.sledId,
      instanceId: instance.id,
      hardwareThreads: instance.ncpus,
      reservoirRam: instance.memory,
      state,
    })
    switch (outcome.kind) {
      case 'reserved':
        return outcome.reservation.sledId
      // ReservationExists: this instance already holds a reservation of this kind.
      case 'conflict':
        throw conflict(outcome.message)
      // The re-check failed (the sled filled up, or a group member landed nearby, since it was
      // listed): forget it and place again.
      case 'sled_unavailable':
        dropped.add(placement.sledId)
        break
      default:
        return assertNever(outcome, 'sled reservation outcome')
    }
  }
}

/** ALLOC_SERVER's undo: free the reservation; one already gone is fine. */
export function releaseVmmResources(db: Datastore, propolisId: PropolisUuid): void {
  db.sledReservationDelete(propolisId)
}

/**
 * The new VMM's IPv6 address: the sled's /64 (`fd00:1122:3344:<0x101 + sled index>::`, as an
 * Oxide rack numbers sled subnets) with the propolis id's low 64 bits as the interface id.
 */
// Simplification: omicron takes the next address after the sled row's `last_used_address`; the
// testbed has no such column, so the address is derived from the propolis id (unique, and the same
// however often the action runs).
export function propolisIpFor(db: Datastore, sledId: SledUuid, propolisId: PropolisUuid): string {
  const index = db.sledList().findIndex((s) => s.id === sledId)
  if (index < 0) throw internalError(`start saga: sled ${sledId} is not in the inventory`)
  const low = propolisId.replace(/-/g, '').slice(16)
  const groups = [0, 4, 8, 12].map((at) => low.slice(at, at + 4))
  return `fd00:1122:3344:${(0x101 + index).toString(16)}:${groups.join(':')}`
}

/** Every sled not in `dropped`, with what its reservations use, as placement sees it. */
function placementSleds(db: Datastore, dropped: ReadonlySet<SledUuid>): PlacementSled[] {
  return (
    db
      .sledList()
      .filter((s) => !dropped.has(s.id))
      // An explicit literal: spreading the row here cost most of a placement with 1,000 sleds.
      .map((s) => ({ id: s.id, policy: s.policy, cpuFamily: s.cpuFamily, hardwareThreads: s.hardwareThreads, reservoirBytes: s.reservoirBytes, used: db.sledUsage(s.id) }))
  )
}
