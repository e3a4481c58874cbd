// The instance operations behind both the in-process API and the Oxide HTTP API, in the one project
// every testbed has, and the affinity and anti-affinity groups that steer their placement. Each takes
// the instance (or group) by name or id and answers with its view; every failure is a NexusApiError.
import { typedUuid, type IdSource, type InstanceUuid, type ProjectUuid, type SledUuid } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { Datastore } from '../db/datastore.ts'
import type { NexusFlags } from '../nexus-config.ts'
import { instanceCreate, type InstanceCreateRequest } from '../sagas/instance-create.ts'
import { instanceStart } from '../sagas/start-instance.ts'
import { startFailureOf, type StartFailureView } from './start-failure.ts'
import type { NexusSagaServices } from '../sagas/saga-services.ts'
import type { SagaStarter } from '../sagas/saga-types.ts'
import {
  addAffinityGroupMember,
  createAffinityGroup,
  type AffinityGroupCreateRequest,
  type AffinityGroupMemberView,
  type AffinityGroupView,
} from './affinity-groups.ts'
import { deleteInstance } from './instance-delete.ts'
import type { InstanceView } from '../types/instance-view.ts'
import { listInstances, lookupInstance, viewInstance } from './instance-lookup.ts'
import { instanceMigrate } from './instance-migrate.ts'
import { requestInstanceState, type InstanceRequestDeps } from './instance-requests.ts'

export interface InstanceServiceDeps extends InstanceRequestDeps {
  readonly db: Datastore
  readonly projectId: ProjectUuid
  readonly sagas: SagaStarter<NexusSagaServices>
  readonly ids: IdSource
  readonly trace: Trace
  readonly flags: NexusFlags
}

/** The view, with why the last start failed when `recordStartFailures` is on (DESIGN.md §4). */
export type InstanceViewWithStartFailure = InstanceView & { readonly startFailure?: StartFailureView | null }

export class InstanceService {
  readonly #deps: InstanceServiceDeps

  constructor(deps: InstanceServiceDeps) {
    this.#deps = deps
  }

  get projectId(): ProjectUuid {
    return this.#deps.projectId
  }

  view(nameOrId: string): InstanceViewWithStartFailure {
    const { db, projectId } = this.#deps
    return this.#withStartFailure(viewInstance(db, lookupInstance(db, projectId, nameOrId).id))
  }

  list(): InstanceViewWithStartFailure[] {
    return listInstances(this.#deps.db, this.#deps.projectId).map((view) => this.#withStartFailure(view))
  }

  /**
   * `project_create_instance`; with `start` (the Oxide API's default) it also starts it, in the
   * background. `affinity.antiAffinityGroups` is `InstanceCreate.anti_affinity_groups`;
   * `affinity.affinityGroups` is a testbed convenience with the same semantics.
   */
  async create(request: InstanceCreateRequest): Promise<InstanceViewWithStartFailure> {
    const { instance } = await instanceCreate(this.#deps, request)
    return this.#viewById(instance.id)
  }

  /** `instance_start` for a user request. */
  async start(nameOrId: string): Promise<InstanceViewWithStartFailure> {
    const { db, projectId } = this.#deps
    const instance = lookupInstance(db, projectId, nameOrId)
    await instanceStart(this.#deps, instance.id, 'user')
    return this.#viewById(instance.id)
  }

  async stop(nameOrId: string): Promise<InstanceViewWithStartFailure> {
    return this.#request(nameOrId, 'stop')
  }

  async reboot(nameOrId: string): Promise<InstanceViewWithStartFailure> {
    return this.#request(nameOrId, 'reboot')
  }

  /**
   * `instance_migrate` (the operator's lockstep API): moves the instance to `dstSled` (a sled id; the
   * testbed resolves names and indexes). Answers once the target accepted the migration, so the
   * view reads `migrating`; the move itself completes later.
   */
  async migrate(nameOrId: string, request: { readonly dstSled: SledUuid }): Promise<InstanceViewWithStartFailure> {
    const { db, projectId } = this.#deps
    const instance = lookupInstance(db, projectId, nameOrId)
    await instanceMigrate(this.#deps, instance.id, { dstSledId: request.dstSled })
    return this.#viewById(instance.id)
  }

  async delete(nameOrId: string): Promise<void> {
    const { db, projectId, sagas } = this.#deps
    await deleteInstance(db, sagas, lookupInstance(db, projectId, nameOrId).id)
  }

  /** `affinity_group_create`: failure domain `sled`; 400 ObjectAlreadyExists for a name in use. */
  affinityGroupCreate(request: AffinityGroupCreateRequest): AffinityGroupView {
    return createAffinityGroup(this.#deps, 'affinity', request)
  }

  /** `anti_affinity_group_create`: failure domain `sled`; 400 ObjectAlreadyExists for a name in use. */
  antiAffinityGroupCreate(request: AffinityGroupCreateRequest): AffinityGroupView {
    return createAffinityGroup(this.#deps, 'anti_affinity', request)
  }

  /** `affinity_group_member_instance_add`: only an instance holding no sled reservation (stopped) may join. */
  affinityGroupMemberAdd(group: string, instance: string): AffinityGroupMemberView {
    return addAffinityGroupMember(this.#deps.db, this.#deps.projectId, 'affinity', group, instance)
  }

  /** `anti_affinity_group_member_instance_add`: only an instance holding no sled reservation (stopped) may join. */
  antiAffinityGroupMemberAdd(group: string, instance: string): AffinityGroupMemberView {
    return addAffinityGroupMember(this.#deps.db, this.#deps.projectId, 'anti_affinity', group, instance)
  }

  // Omicron answers 202 with the instance re-read after the action.
  async #request(nameOrId: string, requested: 'stop' | 'reboot'): Promise<InstanceViewWithStartFailure> {
    const { db, projectId } = this.#deps
    const instance = lookupInstance(db, projectId, nameOrId)
    await requestInstanceState(this.#deps, instance.id, requested)
    return this.#viewById(instance.id)
  }

  #viewById(instanceId: InstanceUuid): InstanceViewWithStartFailure {
    return this.#withStartFailure(viewInstance(this.#deps.db, instanceId))
  }

  #withStartFailure(view: InstanceView): InstanceViewWithStartFailure {
    if (!this.#deps.flags.recordStartFailures) return view
    return { ...view, startFailure: startFailureOf(this.#deps.db, typedUuid('instance', view.id)) }
  }
}
