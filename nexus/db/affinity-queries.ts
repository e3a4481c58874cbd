// Affinity and anti-affinity groups (failure domain `sled`) and their instance members: create,
// look up, add a member with omicron's checks, drop an instance's memberships when it is deleted, and
// the two reads placement makes (every group policy around an instance; the strict ones at insert).
// Mirrors: omicron nexus/db-queries/src/db/datastore/affinity.rs and queries/sled_reservation.rs@b848b6d.
// Simplification: groups are never updated or deleted and members are never removed one by one (the
// testbed's API has no such calls); an instance's memberships go when the instance is deleted.
import type { InstanceUuid, ProjectUuid, SledUuid } from '../../sim/kernel/ids.ts'
import type { AffinityGroupId, AffinityGroupKind, AffinityGroupRecord, AffinityMembershipRecord, AffinityPolicy } from './records.ts'
import { membershipKey, type Tables } from './tables.ts'

/** Omicron's `AFFINITY_GROUP_MAX_MEMBERS` and `ANTI_AFFINITY_GROUP_MAX_MEMBERS`. */
export const GROUP_MAX_MEMBERS = 32
/** Omicron's `INSTANCE_MAX_AFFINITY_GROUPS` and `INSTANCE_MAX_ANTI_AFFINITY_GROUPS`. */
export const INSTANCE_MAX_GROUPS = 16

export interface AffinityGroupCreateParams<K extends AffinityGroupKind = AffinityGroupKind> {
  readonly kind: K
  readonly id: AffinityGroupId<K>
  readonly projectId: ProjectUuid
  readonly name: string
  readonly description: string
  readonly policy: AffinityPolicy
}

export type AffinityGroupCreateOutcome =
  | { readonly kind: 'created'; readonly group: AffinityGroupRecord }
  /** A live group of this kind in the project has the name: omicron's 400 ObjectAlreadyExists. */
  | { readonly kind: 'name_in_use' }

/** Inserts a group (failure domain `sled`); idempotent on id. */
export function affinityGroupCreate(t: Tables, params: AffinityGroupCreateParams): AffinityGroupCreateOutcome {
  const existing = t.affinityGroups.get(params.id)
  if (existing !== undefined) return { kind: 'created', group: { ...existing } }
  if (t.liveAffinityGroupIdByName(params.kind, params.projectId, params.name) !== undefined) return { kind: 'name_in_use' }
  const now = t.now()
  const row: AffinityGroupRecord = {
    kind: params.kind,
    id: params.id,
    name: params.name,
    description: params.description,
    projectId: params.projectId,
    policy: params.policy,
    failureDomain: 'sled',
    timeCreated: now,
    timeModified: now,
    timeDeleted: null,
  }
  return { kind: 'created', group: { ...t.putAffinityGroup(row, 'insert') } }
}

/** The live group of this kind with this id, if any. */
export function affinityGroupGet<K extends AffinityGroupKind>(t: Tables, kind: K, id: string): AffinityGroupRecord<K> | null {
  const row = t.affinityGroups.get(id)
  return row === undefined || row.kind !== kind || row.timeDeleted !== null ? null : ({ ...row } as AffinityGroupRecord<K>)
}

/** The live group of this kind with this name in the project, if any. */
export function affinityGroupGetByName<K extends AffinityGroupKind>(t: Tables, kind: K, projectId: ProjectUuid, name: string): AffinityGroupRecord<K> | null {
  const id = t.liveAffinityGroupIdByName(kind, projectId, name)
  return id === undefined ? null : affinityGroupGet(t, kind, id)
}

/** Live groups in creation order, of one kind or both. */
export function affinityGroupList(t: Tables, filter: { readonly kind?: AffinityGroupKind; readonly projectId?: ProjectUuid } = {}): AffinityGroupRecord[] {
  const rows: AffinityGroupRecord[] = []
  for (const row of t.affinityGroups.values()) {
    if (row.timeDeleted !== null) continue
    if (filter.kind !== undefined && row.kind !== filter.kind) continue
    if (filter.projectId !== undefined && row.projectId !== filter.projectId) continue
    rows.push({ ...row })
  }
  return rows
}

/** The instance members of a group, in the order they were added. */
export function affinityGroupMemberList(t: Tables, groupId: string): InstanceUuid[] {
  return t.membershipsOfGroup(groupId).map((m) => m.instanceId)
}

export type AffinityMemberAddOutcome =
  | { readonly kind: 'added'; readonly membership: AffinityMembershipRecord }
  | { readonly kind: 'group_not_found' }
  /** 400: the group has `GROUP_MAX_MEMBERS` members. */
  | { readonly kind: 'group_full'; readonly message: string }
  /** 400: the instance is in `INSTANCE_MAX_GROUPS` groups of this kind. */
  | { readonly kind: 'too_many_groups'; readonly message: string }
  | { readonly kind: 'instance_not_found' }
  /** 400: the instance holds a sled reservation (it is not stopped). */
  | { readonly kind: 'has_reservation'; readonly message: string }
  /** The membership exists: omicron's 400 ObjectAlreadyExists for the member. */
  | { readonly kind: 'already_member' }

const LABEL: Readonly<Record<AffinityGroupKind, { readonly title: string; readonly plain: string }>> = {
  affinity: { title: 'Affinity', plain: 'affinity' },
  anti_affinity: { title: 'Anti-affinity', plain: 'anti-affinity' },
}

/**
 * `affinity_group_member_instance_add` / `anti_affinity_group_member_instance_add`: the checks run in
 * omicron's order (group, its size, the instance's group count, the instance, its reservation), then
 * the insert. Only a stopped instance (no reservation at all) can join, so joining never has to
 * judge where a member already runs.
 */
export function affinityGroupMemberAdd(t: Tables, kind: AffinityGroupKind, groupId: string, instanceId: InstanceUuid): AffinityMemberAddOutcome {
  const group = affinityGroupGet(t, kind, groupId)
  if (group === null) return { kind: 'group_not_found' }
  const label = LABEL[kind]
  if (t.membershipsOfGroup(group.id).length >= GROUP_MAX_MEMBERS) {
    return { kind: 'group_full', message: `${label.title} group already has maximum allowed members (${GROUP_MAX_MEMBERS})` }
  }
  if (t.membershipsOfInstance(instanceId).filter((m) => m.kind === kind).length >= INSTANCE_MAX_GROUPS) {
    return { kind: 'too_many_groups', message: `Instance already belongs to maximum allowed ${label.plain} groups (${INSTANCE_MAX_GROUPS})` }
  }
  const instance = t.instances.get(instanceId)
  if (instance === undefined || instance.timeDeleted !== null) return { kind: 'instance_not_found' }
  if (t.reservationsOfInstance(instanceId).length > 0) {
    return { kind: 'has_reservation', message: `Instance cannot be added to ${label.plain} group with reservation` }
  }
  if (t.affinityMemberships.has(membershipKey({ groupId: group.id, instanceId }))) return { kind: 'already_member' }
  return { kind: 'added', membership: { ...t.putAffinityMembership({ kind, groupId: group.id, instanceId }) } }
}

/** `instance_{,anti_}affinity_group_memberships_delete`: what deleting an instance does to its groups. Returns how many went. */
export function instanceAffinityMembershipsDelete(t: Tables, instanceId: InstanceUuid): number {
  const rows = t.membershipsOfInstance(instanceId)
  for (const row of rows) t.deleteAffinityMembership(row)
  return rows.length
}

/** One (kind, policy) tag on a sled: another member of one of the instance's groups holds a reservation there. */
export interface SledAffinityTag {
  readonly sledId: SledUuid
  readonly kind: AffinityGroupKind
  readonly policy: AffinityPolicy
}

/**
 * The affinity part of `sled_find_targets_query`: for each live group (failure domain `sled`) the
 * instance is in, every *other* member's reservations (any state: active, target or tombstoned) tag
 * their sled with the group's kind and policy. Distinct tags, in group-then-reservation order.
 */
export function sledAffinityTags(t: Tables, instanceId: InstanceUuid): SledAffinityTag[] {
  const tags = new Map<string, SledAffinityTag>()
  for (const membership of t.membershipsOfInstance(instanceId)) {
    const group = t.affinityGroups.get(membership.groupId)
    if (group === undefined || group.timeDeleted !== null || group.failureDomain !== 'sled') continue
    for (const other of t.membershipsOfGroup(group.id)) {
      if (other.instanceId === instanceId) continue
      for (const reservation of t.reservationsOfInstance(other.instanceId)) {
        const tag: SledAffinityTag = { sledId: reservation.sledId, kind: group.kind, policy: group.policy }
        tags.set(`${tag.sledId}/${tag.kind}/${tag.policy}`, tag)
      }
    }
  }
  return [...tags.values()]
}

/**
 * The re-check of `sled_insert_resource_query`: may the instance's new reservation go on `sledId`?
 * Not if a member of one of its `fail` anti-affinity groups holds a reservation there (`banned`), nor
 * if members of its `fail` affinity groups hold reservations and none is there (`not_required`).
 */
export function affinityAllowsSled(t: Tables, instanceId: InstanceUuid, sledId: SledUuid): 'ok' | 'banned' | 'not_required' {
  const strict = sledAffinityTags(t, instanceId).filter((tag) => tag.policy === 'fail')
  if (strict.some((tag) => tag.kind === 'anti_affinity' && tag.sledId === sledId)) return 'banned'
  const required = strict.filter((tag) => tag.kind === 'affinity')
  if (required.length > 0 && !required.some((tag) => tag.sledId === sledId)) return 'not_required'
  return 'ok'
}
