import { describe, expect, it } from 'vitest'
import {
  chooseSled,
  compatibleSledCpuFamilies,
  PLACEMENT_FAILURES,
  placementError,
  placementTargets,
  seededPick,
  sledAffinityFromGroups,
  vmmCompatibleSledCpuFamilies,
  vmmCpuPlatformFor,
  type PlacementFailure,
  type PlacementRequest,
  type PlacementSled,
  type SledAffinity,
} from '../../../nexus/app/placement.ts'
import type { SledCpuFamily, VmmCpuPlatform } from '../../../nexus/db/records.ts'
import { typedUuid, type SledUuid } from '../../../sim/kernel/ids.ts'

const GIB = 1024 ** 3
const sledId = (n: number): SledUuid => typedUuid('sled', `00000000-0000-4000-8000-00000000000${n}`)
const instanceId = (n: number) => typedUuid('instance', `00000000-0000-4000-8000-0000000000a${n}`)
const [S1, S2, S3] = [sledId(1), sledId(2), sledId(3)]

function sled(id: SledUuid, overrides: Partial<PlacementSled> = {}): PlacementSled {
  return { id, policy: 'in_service', cpuFamily: 'amd_milan', hardwareThreads: 64, reservoirBytes: 256 * GIB, used: { hardwareThreads: 0, reservoirRam: 0 }, ...overrides }
}

const request = (overrides: Partial<PlacementRequest> = {}): PlacementRequest => ({ hardwareThreads: 4, reservoirRam: 8 * GIB, cpuFamilies: null, ...overrides })
const affinity = (overrides: Partial<SledAffinity>): SledAffinity => ({ required: [], preferred: [], banned: [], unpreferred: [], ...overrides })
const first = (candidates: readonly SledUuid[]) => candidates[0] ?? S3
const placed = (sledId: SledUuid) => ({ kind: 'placed', sledId })
const failed = (failure: PlacementFailure) => ({ kind: 'failed', failure })

describe('placementTargets', () => {
  it.each([
    ['an in-service sled with room', [sled(S1)], request(), [S1]],
    ['no sled when the threads would overflow', [sled(S1, { used: { hardwareThreads: 61, reservoirRam: 0 } })], request(), []],
    ['a sled whose threads fit exactly', [sled(S1, { used: { hardwareThreads: 60, reservoirRam: 0 } })], request(), [S1]],
    ['no sled when the reservoir would overflow', [sled(S1, { reservoirBytes: 8 * GIB - 1 })], request(), []],
    ['a sled whose reservoir fits exactly', [sled(S1, { reservoirBytes: 16 * GIB, used: { hardwareThreads: 0, reservoirRam: 8 * GIB } })], request(), [S1]],
    ['no non-provisionable sled', [sled(S1, { policy: 'no_provision' })], request(), []],
    ['no expunged sled', [sled(S1, { policy: 'expunged' })], request(), []],
    ['only sleds of an allowed CPU family', [sled(S1), sled(S2, { cpuFamily: 'amd_turin' })], request({ cpuFamilies: ['amd_turin'] }), [S2]],
    ['every sled in order when nothing constrains', [sled(S1), sled(S2), sled(S3)], request(), [S1, S2, S3]],
  ])('gives %s', (_name, sleds, req, expected) => {
    expect(placementTargets(sleds, req)).toEqual(expected)
  })
})

describe('chooseSled', () => {
  const three = [sled(S1), sled(S2), sled(S3)]
  const full = sled(S1, { used: { hardwareThreads: 64, reservoirRam: 0 } })

  it.each([
    ['picks among all targets when there are no constraints', three, affinity({}), placed(S1)],
    ['fails with not_found when nothing fits', [full], affinity({}), failed('not_found')],
    ['uses the one required sled', three, affinity({ required: [S2] }), placed(S2)],
    ['counts a sled required twice once', three, affinity({ required: [S2, S2] }), placed(S2)],
    ['refuses two required sleds', three, affinity({ required: [S1, S2] }), failed('too_many_affinity_constraints')],
    ['refuses a required sled that is also banned', three, affinity({ required: [S2], banned: [S2] }), failed('conflicting_anti_and_affinity_constraints')],
    ['reports a required sled without room', [full, sled(S2)], affinity({ required: [S1] }), failed('required_affinity_sled_not_valid')],
    ['never uses a banned sled', three, affinity({ banned: [S1] }), placed(S2)],
    ['fails when every target is banned', [sled(S1)], affinity({ banned: [S1] }), failed('not_found')],
    ['prefers a preferred sled', three, affinity({ preferred: [S3] }), placed(S3)],
    ['uses a neutral sled before an unpreferred one', three, affinity({ unpreferred: [S1, S2] }), placed(S3)],
    ['falls back to an unpreferred sled', [sled(S1)], affinity({ unpreferred: [S1] }), placed(S1)],
    ['treats a sled both preferred and unpreferred as neutral', [sled(S1), sled(S2)], affinity({ preferred: [S2], unpreferred: [S1, S2] }), placed(S2)],
    ['ignores a preferred sled without room', [full, sled(S2)], affinity({ preferred: [S1] }), placed(S2)],
    ['calls a required sled without room not valid even when it is banned too', [full, sled(S2)], affinity({ required: [S1], banned: [S1] }), failed('required_affinity_sled_not_valid')],
  ])('%s', (_name, sleds, aff, expected) => {
    expect(chooseSled(sleds, request({ affinity: aff }), first)).toEqual(expected)
  })

  it.each([
    ['places on the one sled it must select from', affinity({}), placed(S2)],
    ['fails with not_found when that sled is banned', affinity({ banned: [S2] }), failed('not_found')],
    ['calls a required sled outside the selection not valid', affinity({ required: [S1] }), failed('required_affinity_sled_not_valid')],
    ['still sees a conflict on a required sled outside the selection that fits and is banned', affinity({ required: [S1], banned: [S1] }), failed('conflicting_anti_and_affinity_constraints')],
  ])('with mustSelectFrom (a migration), %s', (_name, aff, expected) => {
    expect(chooseSled(three, request({ affinity: aff, mustSelectFrom: [S2] }), first)).toEqual(expected)
  })
})

describe('placementError', () => {
  it.each([
    ['not_found', 507, 'InsufficientCapacity', 'Insufficient capacity: Failed to place instance: Could not find any valid sled on which this instance can be placed'],
    [
      'required_affinity_sled_not_valid',
      507,
      'InsufficientCapacity',
      "Insufficient capacity: Failed to place instance: This instance must be placed on a specific sled to co-locate it with another instance in its affinity group, but that sled cannot current accept this instance. Consider stopping other instances in this instance's affinity groups, or changing its affinity group membership.",
    ],
    [
      'too_many_affinity_constraints',
      400,
      'InvalidRequest',
      'Failed to place instance: This instance belongs to an affinity group that requires it be placed on more than one sled. Instances can only placed on a single sled, so this is impossible to satisfy. Consider stopping other instances in the affinity group.',
    ],
    [
      'conflicting_anti_and_affinity_constraints',
      400,
      'InvalidRequest',
      'Failed to place instance: This instance belongs to an affinity group that requires it to be placed on a sled, but also belongs to an anti-affinity group that prevents it from being placed on that sled. These constraints are contradictory. Consider stopping instances in those affinity/anti-affinity groups, or changing group membership.',
    ],
  ] as const)('turns %s into %i %s with omicron’s message', (failure, status, code, message) => {
    const error = placementError(failure)

    expect([error.statusCode, error.errorCode, error.message]).toEqual([status, code, message])
  })

  it('has a row for every failure', () => {
    expect(PLACEMENT_FAILURES.map((f) => placementError(f).statusCode)).toHaveLength(PLACEMENT_FAILURES.length)
  })
})

describe('CPU platforms', () => {
  it.each([
    ['amd_milan', ['amd_milan', 'amd_turin', 'amd_turin_v2']],
    ['amd_turin', ['amd_turin', 'amd_turin_v2']],
  ] as const)('lets an instance on %s run on sled families %j', (platform, families) => {
    expect(compatibleSledCpuFamilies(platform)).toEqual(families)
  })

  const ALL_FAMILIES: readonly SledCpuFamily[] = ['unknown', 'amd_milan', 'amd_turin', 'amd_turin_v2']
  const MINIMUM: Readonly<Record<SledCpuFamily, string>> = { unknown: 'sled_default', amd_milan: 'amd_milan', amd_turin: 'amd_milan', amd_turin_v2: 'amd_milan' }

  it.each(ALL_FAMILIES.map((f) => [f, MINIMUM[f]]))('gives a VMM of an instance without a platform on a %s sled the platform %s', (family, platform) => {
    expect(vmmCpuPlatformFor(null, family)).toBe(platform)
  })

  it('gives a VMM the instance’s own platform whatever the sled', () => {
    expect(ALL_FAMILIES.map((f) => vmmCpuPlatformFor('amd_turin', f))).toEqual(ALL_FAMILIES.map(() => 'amd_turin'))
  })

  const MIGRATABLE_TO: Readonly<Record<VmmCpuPlatform, readonly SledCpuFamily[] | null>> = {
    sled_default: null,
    amd_milan: ['amd_milan', 'amd_turin', 'amd_turin_v2'],
    amd_turin: ['amd_turin', 'amd_turin_v2'],
    amd_turin_v2: ['amd_turin', 'amd_turin_v2'],
  }

  const ALL_VMM_PLATFORMS: readonly VmmCpuPlatform[] = ['sled_default', 'amd_milan', 'amd_turin', 'amd_turin_v2']

  it.each(ALL_VMM_PLATFORMS.map((p) => [p, MIGRATABLE_TO[p]] as const))('lets a running VMM of platform %s migrate to sled families %j', (platform, families) => {
    expect(vmmCompatibleSledCpuFamilies(platform)).toEqual(families)
  })

  it('has a migration row for every VMM platform', () => {
    expect([...ALL_VMM_PLATFORMS].sort()).toEqual(Object.keys(MIGRATABLE_TO).sort())
  })
})

describe('sledAffinityFromGroups', () => {
  const reservations = [
    { instanceId: instanceId(2), sledId: S1 },
    { instanceId: instanceId(3), sledId: S2 },
    { instanceId: instanceId(1), sledId: S3 },
  ]

  it.each([
    ['affinity fail makes a member’s sled required', 'affinity', 'fail', { required: [S1] }],
    ['affinity allow makes it preferred', 'affinity', 'allow', { preferred: [S1] }],
    ['anti-affinity fail makes it banned', 'anti_affinity', 'fail', { banned: [S1] }],
    ['anti-affinity allow makes it unpreferred', 'anti_affinity', 'allow', { unpreferred: [S1] }],
  ] as const)('%s', (_name, kind, policy, expected) => {
    const groups = [{ kind, policy, members: [instanceId(1), instanceId(2)] }]

    expect(sledAffinityFromGroups(instanceId(1), groups, reservations)).toEqual(affinity(expected))
  })

  it('ignores groups the instance is not in and its own reservation', () => {
    const groups = [
      { kind: 'affinity', policy: 'fail', members: [instanceId(2), instanceId(3)] },
      { kind: 'anti_affinity', policy: 'fail', members: [instanceId(1)] },
    ] as const

    expect(sledAffinityFromGroups(instanceId(1), groups, reservations)).toEqual(affinity({}))
  })
})

describe('seededPick', () => {
  it('picks the same sled for the same seed and spreads different seeds over the candidates', () => {
    const candidates = [S1, S2, S3]
    const picks = Array.from({ length: 30 }, (_, i) => seededPick(`saga-${i}`)(candidates))

    expect(seededPick('saga-7')(candidates)).toBe(picks[7])
    expect(new Set(picks)).toEqual(new Set(candidates))
  })
})
