// Placement: which sled a new VMM goes to. Pure: given the sleds (policy, CPU family, capacity and
// what their reservations already hold), the request and the affinity tags of each sled, it picks a
// sled or names the failure; the caller inserts the reservation, which re-validates.
// Mirrors: omicron nexus/db-queries/src/db/datastore/sled.rs@b848b6d (`sled_reservation_create`,
// `pick_sled_reservation_target`, `SledReservationError`) and db-model instance_cpu_platform.rs.
import type { InstanceUuid, SledUuid } from '../../sim/kernel/ids.ts'
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { SledAffinityTag } from '../db/affinity-queries.ts'
import type { AffinityGroupKind, AffinityPolicy, InstanceCpuPlatform, SledCpuFamily, SledPolicy, VmmCpuPlatform } from '../db/records.ts'
import { insufficientCapacity, invalidRequest, type NexusApiError } from './errors.ts'

/** A sled as placement sees it. */
export interface PlacementSled {
  readonly id: SledUuid
  readonly policy: SledPolicy
  readonly cpuFamily: SledCpuFamily
  /** Usable hardware threads. */
  readonly hardwareThreads: number
  /** Reservoir size, bytes. */
  readonly reservoirBytes: number
  /** The sums over every reservation on the sled, in any state (tombstoned included). */
  readonly used: { readonly hardwareThreads: number; readonly reservoirRam: number }
}

/** Sleds tagged by the instance's affinity groups (omicron's four sets). */
export interface SledAffinity {
  /** Affinity, policy `fail`: the VMM must go there. */
  readonly required: readonly SledUuid[]
  /** Affinity, policy `allow`. */
  readonly preferred: readonly SledUuid[]
  /** Anti-affinity, policy `fail`: never there. */
  readonly banned: readonly SledUuid[]
  /** Anti-affinity, policy `allow`. */
  readonly unpreferred: readonly SledUuid[]
}

export const NO_AFFINITY: SledAffinity = { required: [], preferred: [], banned: [], unpreferred: [] }

export interface PlacementRequest {
  /** The instance's ncpus. */
  readonly hardwareThreads: number
  /** The instance's memory, bytes. */
  readonly reservoirRam: number
  /** The sled CPU families that can host the instance; null when it names no CPU platform. */
  readonly cpuFamilies: readonly SledCpuFamily[] | null
  /** Default: no affinity constraints. */
  readonly affinity?: SledAffinity
  /** Only these sleds may be chosen (a migration's destination); default: any. */
  readonly mustSelectFrom?: readonly SledUuid[]
}

export const PLACEMENT_FAILURES = ['not_found', 'required_affinity_sled_not_valid', 'too_many_affinity_constraints', 'conflicting_anti_and_affinity_constraints'] as const
/** Omicron's `SledReservationError`, in snake case. */
export type PlacementFailure = (typeof PLACEMENT_FAILURES)[number]

export type Placement = { readonly kind: 'placed'; readonly sledId: SledUuid } | { readonly kind: 'failed'; readonly failure: PlacementFailure }

/** Picks one sled of a non-empty candidate set (omicron: whatever a HashSet yields first). */
export type PickSled = (candidates: readonly SledUuid[]) => SledUuid

/** Step 3: in-service sleds of an allowed CPU family where the request fits, in the given order. */
export function placementTargets(sleds: readonly PlacementSled[], request: PlacementRequest): SledUuid[] {
  return sleds
    .filter(
      (s) =>
        s.policy === 'in_service' &&
        (request.cpuFamilies === null || request.cpuFamilies.includes(s.cpuFamily)) &&
        s.used.hardwareThreads + request.hardwareThreads <= s.hardwareThreads &&
        s.used.reservoirRam + request.reservoirRam <= s.reservoirBytes,
    )
    .map((s) => s.id)
}

/** Steps 3 and 5: the targets, then rules (required, banned) before preferences. */
export function chooseSled(sleds: readonly PlacementSled[], request: PlacementRequest, pick: PickSled): Placement {
  const fitting = placementTargets(sleds, request)
  const { mustSelectFrom } = request
  const targets = mustSelectFrom === undefined ? fitting : fitting.filter((id) => mustSelectFrom.includes(id))
  const { required, preferred, unpreferred } = request.affinity ?? NO_AFFINITY
  // omicron's query reports anti-affinity policies only for sleds where the VMM would fit (before
  // `mustSelectFrom` narrows them), so a required sled without room is "not valid", never "conflicting".
  const banned = (request.affinity ?? NO_AFFINITY).banned.filter((id) => fitting.includes(id))
  const requiredSet = [...new Set(required)]
  const failed = (failure: PlacementFailure): Placement => ({ kind: 'failed', failure })
  if (requiredSet.length > 1) return failed('too_many_affinity_constraints')
  const [must] = requiredSet
  if (must !== undefined) {
    if (banned.includes(must)) return failed('conflicting_anti_and_affinity_constraints')
    // A required sled without room is still reported, so the error says what is wrong.
    if (!targets.includes(must)) return failed('required_affinity_sled_not_valid')
    return { kind: 'placed', sledId: must }
  }
  const allowed = targets.filter((id) => !banned.includes(id))
  // A sled both preferred and unpreferred counts as neither.
  const both = allowed.filter((id) => preferred.includes(id) && unpreferred.includes(id))
  const liked = allowed.filter((id) => preferred.includes(id) && !both.includes(id))
  const disliked = allowed.filter((id) => unpreferred.includes(id) && !both.includes(id))
  const neutral = allowed.filter((id) => !disliked.includes(id) && !liked.includes(id))
  for (const tier of [liked, neutral, disliked]) {
    if (tier.length > 0) return { kind: 'placed', sledId: pick(tier) }
  }
  return failed('not_found')
}

const PLACEMENT_MESSAGES: Readonly<Record<PlacementFailure, string>> = {
  not_found: 'Could not find any valid sled on which this instance can be placed',
  too_many_affinity_constraints:
    'This instance belongs to an affinity group that requires it be placed on more than one sled. Instances can only placed on a single sled, so this is impossible to satisfy. Consider stopping other instances in the affinity group.',
  conflicting_anti_and_affinity_constraints:
    'This instance belongs to an affinity group that requires it to be placed on a sled, but also belongs to an anti-affinity group that prevents it from being placed on that sled. These constraints are contradictory. Consider stopping instances in those affinity/anti-affinity groups, or changing group membership.',
  required_affinity_sled_not_valid:
    "This instance must be placed on a specific sled to co-locate it with another instance in its affinity group, but that sled cannot current accept this instance. Consider stopping other instances in this instance's affinity groups, or changing its affinity group membership.",
}

/** The external error: 507 where more capacity would help, 400 where the constraints contradict. */
export function placementError(failure: PlacementFailure): NexusApiError {
  const message = `Failed to place instance: ${PLACEMENT_MESSAGES[failure]}`
  switch (failure) {
    case 'not_found':
    case 'required_affinity_sled_not_valid':
      return insufficientCapacity(message)
    case 'too_many_affinity_constraints':
    case 'conflicting_anti_and_affinity_constraints':
      return invalidRequest(message)
    default:
      return assertNever(failure, 'placement failure')
  }
}

// Simplification: the testbed's `amd_turin_v2` sled family stands for omicron's Turin Dense, which
// hosts whatever a Turin sled hosts.
/** `InstanceCpuPlatform::compatible_sled_cpu_families`. */
export function compatibleSledCpuFamilies(platform: InstanceCpuPlatform): readonly SledCpuFamily[] {
  switch (platform) {
    // Turin sleds offer a superset of the features of a guest's Milan platform.
    case 'amd_milan':
      return ['amd_milan', 'amd_turin', 'amd_turin_v2']
    case 'amd_turin':
      return ['amd_turin', 'amd_turin_v2']
    default:
      return assertNever(platform, 'instance cpu platform')
  }
}

/**
 * `VmmCpuPlatform::compatible_sled_cpu_families`: the sled families that can host a running VMM of
 * this platform (where it may migrate to); null for `sled_default`, where nothing is known.
 */
export function vmmCompatibleSledCpuFamilies(platform: VmmCpuPlatform): readonly SledCpuFamily[] | null {
  switch (platform) {
    case 'amd_milan':
      return ['amd_milan', 'amd_turin', 'amd_turin_v2']
    case 'amd_turin':
    case 'amd_turin_v2':
      return ['amd_turin', 'amd_turin_v2']
    // The VMM started on a sled of unknown CPU family: it could be anything, so nowhere is safe.
    case 'sled_default':
      return null
    default:
      return assertNever(platform, 'vmm cpu platform')
  }
}

/**
 * The new VMM's CPU platform: the instance's if it names one (it may land on a better sled and
 * migrate back later), else the sled family's "minimum compatible platform", which keeps the most
 * sleds open to a later migration.
 */
export function vmmCpuPlatformFor(instancePlatform: InstanceCpuPlatform | null, sledFamily: SledCpuFamily): VmmCpuPlatform {
  if (instancePlatform !== null) return instancePlatform
  switch (sledFamily) {
    case 'unknown':
      return 'sled_default'
    case 'amd_milan':
    case 'amd_turin':
    case 'amd_turin_v2':
      return 'amd_milan'
    default:
      return assertNever(sledFamily, 'sled cpu family')
  }
}

/** One affinity or anti-affinity group the instance belongs to (failure domain: sled). */
export interface AffinityGroup {
  readonly kind: AffinityGroupKind
  readonly policy: AffinityPolicy
  readonly members: readonly InstanceUuid[]
}

/** Step 4: every other member holding a reservation tags its sled with its group's policy. */
export function sledAffinityFromGroups(
  instanceId: InstanceUuid,
  groups: readonly AffinityGroup[],
  reservations: readonly { readonly instanceId: InstanceUuid; readonly sledId: SledUuid }[],
): SledAffinity {
  const tags: SledAffinityTag[] = []
  for (const group of groups) {
    if (!group.members.includes(instanceId)) continue
    for (const r of reservations) {
      if (r.instanceId !== instanceId && group.members.includes(r.instanceId)) tags.push({ sledId: r.sledId, kind: group.kind, policy: group.policy })
    }
  }
  return sledAffinityFromTags(tags)
}

/** Step 4 from the datastore's tags: affinity `fail` → required, `allow` → preferred; anti-affinity `fail` → banned, `allow` → unpreferred. */
export function sledAffinityFromTags(tags: readonly SledAffinityTag[]): SledAffinity {
  const sets = { required: new Set<SledUuid>(), preferred: new Set<SledUuid>(), banned: new Set<SledUuid>(), unpreferred: new Set<SledUuid>() }
  for (const tag of tags) {
    const set = tag.kind === 'affinity' ? (tag.policy === 'fail' ? 'required' : 'preferred') : tag.policy === 'fail' ? 'banned' : 'unpreferred'
    sets[set].add(tag.sledId)
  }
  return { required: [...sets.required], preferred: [...sets.preferred], banned: [...sets.banned], unpreferred: [...sets.unpreferred] }
}

/**
 * A deterministic stand-in for omicron's set-order choice: FNV-1a of `seed` picks the index, so the
 * same seed and candidates give the same sled every time (a replayed or recovered action agrees).
 */
export function seededPick(seed: string): PickSled {
  let hash = 0x811c9dc5
  for (let i = 0; i < seed.length; i += 1) hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193) >>> 0
  return (candidates) => {
    const chosen = candidates[hash % candidates.length]
    if (chosen === undefined) throw new RangeError('placement pick failed: no candidates')
    return chosen
  }
}
