// Affinity and anti-affinity groups in the project, as the external API sees them: create (failure
// domain `sled`), look up by name or id, add a stopped instance as a member, and resolve the groups an
// instance create names. Every failure is omicron's NexusApiError.
// Mirrors: omicron nexus/src/app/affinity.rs, nexus/src/app/instance.rs (`normalize_anti_affinity_groups`)
// and datastore/affinity.rs (`anti_affinity_groups_batch_lookup`)@b848b6d.
import { assertNever } from '../../sim/kernel/assert-never.ts'
import { formatIso } from '../../sim/kernel/time.ts'
import { UUID_PATTERN, type IdSource, type InstanceUuid, type ProjectUuid } from '../../sim/kernel/ids.ts'
import type { AffinityMemberAddOutcome } from '../db/affinity-queries.ts'
import type { Datastore } from '../db/datastore.ts'
import type { AffinityGroupId, AffinityGroupKind, AffinityGroupRecord, AffinityPolicy, FailureDomain } from '../db/records.ts'
import type { InstanceState } from '../types/instance-state.ts'
import { invalidRequest, objectAlreadyExists, objectNotFound, type NexusApiError, type ResourceType } from './errors.ts'
import { lookupInstance } from './instance-lookup.ts'

/** `AffinityGroupCreate` / `AntiAffinityGroupCreate`, camelCase. */
export interface AffinityGroupCreateRequest {
  readonly name: string
  readonly policy: AffinityPolicy
  /** Default `''`. */
  readonly description?: string
  /** Omicron's only failure domain, and the default. */
  readonly failureDomain?: FailureDomain
}

/** The `AffinityGroup` / `AntiAffinityGroup` view, camelCase. */
export interface AffinityGroupView {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly projectId: string
  readonly policy: AffinityPolicy
  readonly failureDomain: FailureDomain
  readonly timeCreated: string
  readonly timeModified: string
}

/** The `AffinityGroupMember` / `AntiAffinityGroupMember` view: an instance, camelCase. */
export interface AffinityGroupMemberView {
  readonly type: 'instance'
  readonly value: { readonly id: string; readonly name: string; readonly runState: InstanceState }
}

/** The groups an instance create names; `affinityGroups` is a testbed convenience (see `resolveCreateGroups`). */
export interface InstanceAffinityRequest {
  /** `InstanceCreate.anti_affinity_groups`: names or ids. */
  readonly antiAffinityGroups?: readonly string[]
  /** Names or ids. Omicron's `InstanceCreate` has no such field; members join affinity groups one by one. */
  readonly affinityGroups?: readonly string[]
}

const RESOURCE: Readonly<Record<AffinityGroupKind, { readonly group: ResourceType; readonly member: ResourceType }>> = {
  affinity: { group: 'affinity-group', member: 'affinity-group-member' },
  anti_affinity: { group: 'anti-affinity-group', member: 'anti-affinity-group-member' },
}

export interface AffinityGroupDeps {
  readonly db: Datastore
  readonly ids: IdSource
  readonly projectId: ProjectUuid
}

/** `affinity_group_create` / `anti_affinity_group_create`: 400 ObjectAlreadyExists for a name in use. */
export function createAffinityGroup(deps: AffinityGroupDeps, kind: AffinityGroupKind, request: AffinityGroupCreateRequest): AffinityGroupView {
  const id = kind === 'affinity' ? deps.ids.uuid('affinity_group') : deps.ids.uuid('anti_affinity_group')
  const outcome = deps.db.affinityGroupCreate({
    kind,
    id,
    projectId: deps.projectId,
    name: request.name,
    description: request.description ?? '',
    policy: request.policy,
  })
  switch (outcome.kind) {
    case 'created':
      return affinityGroupViewFromRecord(outcome.group)
    case 'name_in_use':
      throw objectAlreadyExists(RESOURCE[kind].group, request.name)
    default:
      return assertNever(outcome, 'affinity group create outcome')
  }
}

/** The live group of `kind` named `nameOrId` in the project, or the external API's 404. */
export function lookupAffinityGroup<K extends AffinityGroupKind>(db: Datastore, projectId: ProjectUuid, kind: K, nameOrId: string): AffinityGroupRecord<K> {
  if (UUID_PATTERN.test(nameOrId)) {
    const byId = db.affinityGroupGet(kind, nameOrId.toLowerCase())
    if (byId === null) throw objectNotFound(RESOURCE[kind].group, { id: nameOrId.toLowerCase() })
    return byId
  }
  const byName = db.affinityGroupGetByName(kind, projectId, nameOrId)
  if (byName === null) throw objectNotFound(RESOURCE[kind].group, { name: nameOrId })
  return byName
}

/**
 * `affinity_group_member_instance_add` / `anti_affinity_group_member_instance_add`: the group is
 * looked up first, then the instance (404 for either), then the datastore's checks. Answers with the
 * member view, whose run state omicron always reports as `stopped` (only a stopped instance can join).
 */
export function addAffinityGroupMember(db: Datastore, projectId: ProjectUuid, kind: AffinityGroupKind, group: string, instance: string): AffinityGroupMemberView {
  const found = lookupAffinityGroup(db, projectId, kind, group)
  const member = lookupInstance(db, projectId, instance)
  const outcome = db.affinityGroupMemberAdd(kind, found.id, member.id)
  if (outcome.kind !== 'added') throw memberAddError(kind, found.id, member.id, outcome)
  return { type: 'instance', value: { id: member.id, name: member.name, runState: 'stopped' } }
}

/** A refused membership as the caller sees it (also what a create saga's membership node fails with). */
export function memberAddError(kind: AffinityGroupKind, groupId: string, instanceId: InstanceUuid, outcome: Exclude<AffinityMemberAddOutcome, { kind: 'added' }>): NexusApiError {
  switch (outcome.kind) {
    case 'group_not_found':
      return objectNotFound(RESOURCE[kind].group, { id: groupId })
    case 'instance_not_found':
      return objectNotFound('instance', { id: instanceId })
    case 'group_full':
    case 'too_many_groups':
    case 'has_reservation':
      return invalidRequest(outcome.message)
    case 'already_member':
      return objectAlreadyExists(RESOURCE[kind].member, instanceId)
    default:
      return assertNever(outcome, 'affinity member add outcome')
  }
}

/**
 * The ids of the groups a create names, as `anti_affinity_groups_batch_lookup` finds them before the
 * create saga runs: the first unknown name is a 404 (names are checked before ids), and a group named
 * twice is joined once.
 */
export function resolveCreateGroups<K extends AffinityGroupKind>(db: Datastore, projectId: ProjectUuid, kind: K, namesOrIds: readonly string[]): AffinityGroupId<K>[] {
  const ordered = [...namesOrIds.filter((g) => !UUID_PATTERN.test(g)), ...namesOrIds.filter((g) => UUID_PATTERN.test(g))]
  const idOf = new Map(ordered.map((g) => [g, lookupAffinityGroup(db, projectId, kind, g).id] as const))
  return [...new Set(namesOrIds.flatMap((g) => idOf.get(g) ?? []))]
}

export function affinityGroupViewFromRecord(group: AffinityGroupRecord): AffinityGroupView {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    projectId: group.projectId,
    policy: group.policy,
    failureDomain: group.failureDomain,
    timeCreated: formatIso(group.timeCreated),
    timeModified: formatIso(group.timeModified),
  }
}

