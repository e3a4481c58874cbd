// The instance-migrate saga's RESERVE_RESOURCES: placement restricted to the destination sled and to
// the sled CPU families that can host the source VMM's platform, under the instance's affinity and
// anti-affinity groups, reserving as a migration target.
// Mirrors: omicron nexus/src/app/sagas/instance_migrate.rs@b848b6d (`sim_reserve_sled_resources`)
// and datastore/sled.rs (`sled_reservation_create` with `must_select_from`).
import type { PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { invalidRequest } from '../app/errors.ts'
import { seededPick, sledAffinityFromTags, vmmCompatibleSledCpuFamilies } from '../app/placement.ts'
import type { Datastore } from '../db/datastore.ts'
import type { InstanceRecord, VmmRecord } from '../db/records.ts'
import { placeAndReserve } from './start-placement.ts'

// Omicron formats the platform with strum's Display (the variant name), and the typo is its own.
/** 400 when the source VMM runs with the `sled_default` platform: no sled is known to be safe. */
export const NO_COMPATIBLE_SLED_FAMILIES_MESSAGE = 'cannot migrate instance: SledDefault nas no compatible sled families'

export interface MigrationTargetReservationRequest {
  readonly instance: InstanceRecord
  /** The VMM migrating out; its CPU platform decides which sled families can take the guest. */
  readonly srcVmm: VmmRecord
  readonly dstSledId: SledUuid
  /** The target VMM the reservation is held for. */
  readonly propolisId: PropolisUuid
}

/**
 * Reserves the instance's ncpus and memory for the target VMM on the destination sled (state
 * `target`) and returns that sled. Idempotent on the propolis id. The instance's affinity and
 * anti-affinity groups constrain it as they do a start. Throws 400 for a `sled_default` source,
 * 507 "Failed to place instance: …" when the destination is not in service, not a fitting family,
 * full, or banned by an anti-affinity group (or not the sled a `fail` affinity group requires), 400
 * for contradictory groups, and 409 "Instance already migrating" when another target reservation exists.
 */
// Simplification: no local-storage allocations constrain the choice (the testbed stores none).
export function reserveMigrationTarget(db: Datastore, request: MigrationTargetReservationRequest): SledUuid {
  const { instance, srcVmm, dstSledId, propolisId } = request
  const held = db.sledReservationGet(propolisId)
  if (held !== null) return held.sledId
  const cpuFamilies = vmmCompatibleSledCpuFamilies(srcVmm.cpuPlatform)
  if (cpuFamilies === null) throw invalidRequest(NO_COMPATIBLE_SLED_FAMILIES_MESSAGE)
  // `must_select_from(&[dst_sled_id])`: an unknown sled is simply no candidate. The affinity tags
  // come from every sled, as omicron's query reads them before narrowing the targets.
  const placementRequest = {
    hardwareThreads: instance.ncpus,
    reservoirRam: instance.memory,
    cpuFamilies,
    affinity: sledAffinityFromTags(db.sledAffinityTags(instance.id)),
    mustSelectFrom: [dstSledId],
  }
  // With one candidate the pick never matters; its seed is the target's id.
  return placeAndReserve(db, { instance, propolisId, placementRequest, state: 'target', pick: () => seededPick(propolisId) })
}
