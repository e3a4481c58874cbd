// `tb.nexus`: the in-process instance API of DESIGN.md §4 over the composed Nexus. Every call runs
// on virtual time until it returns (a start waits for the sled-agent as the real one would), then
// the testbed checks its invariants. Failures reject with Nexus's own `NexusApiError`.
import { parseDuration, type DurationInput } from '../sim/kernel/time.ts'
import { typedUuid } from '../sim/kernel/ids.ts'
import type { SimSled } from '../sim/sled-agent/sled.ts'
import type { AffinityGroupCreateRequest, AffinityGroupMemberView, AffinityGroupView, InstanceAffinityRequest } from '../nexus/app/affinity-groups.ts'
import type { InstanceViewWithStartFailure } from '../nexus/app/instance-service.ts'
import type { InstanceCpuPlatform } from '../nexus/db/records.ts'
import type { Nexus } from '../nexus/nexus.ts'
import type { AutoRestartPolicy } from '../nexus/types/instance-view.ts'
import { resolveSled, type SledRef } from './testbed-handles.ts'

export type { InstanceViewWithStartFailure as InstanceView, AffinityGroupCreateRequest, AffinityGroupMemberView, AffinityGroupView, InstanceAffinityRequest }

export interface InstanceCreateParams {
  readonly name: string
  readonly ncpus: number
  /** Bytes. */
  readonly memory: number
  /** Default false here (the HTTP API's default is true). */
  readonly start?: boolean
  readonly autoRestartPolicy?: AutoRestartPolicy | null
  readonly autoRestartCooldown?: DurationInput | null
  readonly cpuPlatform?: InstanceCpuPlatform | null
  readonly description?: string
  readonly hostname?: string
  /**
   * Groups (names or ids) the new instance joins: `antiAffinityGroups` is the Oxide API's
   * `anti_affinity_groups`; `affinityGroups` is a testbed convenience (omicron has no such field).
   */
  readonly affinity?: InstanceAffinityRequest
}

/** How the testbed runs a call to its end: on virtual time, then an invariant check. */
export type Drive = <T>(what: string, work: () => Promise<T>) => Promise<T>

export class TestbedNexus {
  readonly #nexus: Nexus
  readonly #sleds: readonly SimSled[]
  readonly #drive: Drive

  constructor(nexus: Nexus, sleds: readonly SimSled[], drive: Drive) {
    this.#nexus = nexus
    this.#sleds = sleds
    this.#drive = drive
  }

  /** Base URL of Nexus's external and internal APIs (`GET /v1/instances?project=default`, ...). */
  get url(): string {
    return this.#nexus.url
  }

  instanceCreate(params: InstanceCreateParams): Promise<InstanceViewWithStartFailure> {
    const { autoRestartCooldown, ...rest } = params
    return this.#drive(`instanceCreate ${params.name}`, () =>
      this.#nexus.instances.create({
        ...rest,
        ...(autoRestartCooldown === undefined ? {} : { autoRestartCooldownMs: autoRestartCooldown === null ? null : parseDuration(autoRestartCooldown) }),
      }),
    )
  }

  instanceView(nameOrId: string): InstanceViewWithStartFailure {
    return this.#nexus.instances.view(nameOrId)
  }

  instanceList(): InstanceViewWithStartFailure[] {
    return this.#nexus.instances.list()
  }

  instanceStart(nameOrId: string): Promise<InstanceViewWithStartFailure> {
    return this.#drive(`instanceStart ${nameOrId}`, () => this.#nexus.instances.start(nameOrId))
  }

  instanceStop(nameOrId: string): Promise<InstanceViewWithStartFailure> {
    return this.#drive(`instanceStop ${nameOrId}`, () => this.#nexus.instances.stop(nameOrId))
  }

  instanceReboot(nameOrId: string): Promise<InstanceViewWithStartFailure> {
    return this.#drive(`instanceReboot ${nameOrId}`, () => this.#nexus.instances.reboot(nameOrId))
  }

  instanceDelete(nameOrId: string): Promise<void> {
    return this.#drive(`instanceDelete ${nameOrId}`, () => this.#nexus.instances.delete(nameOrId))
  }

  /** `affinity_group_create` (failure domain `sled`): instances in it want one sled; `fail` insists. */
  affinityGroupCreate(params: AffinityGroupCreateRequest): Promise<AffinityGroupView> {
    return this.#drive(`affinityGroupCreate ${params.name}`, async () => this.#nexus.instances.affinityGroupCreate(params))
  }

  /** `anti_affinity_group_create` (failure domain `sled`): instances in it want different sleds; `fail` insists. */
  antiAffinityGroupCreate(params: AffinityGroupCreateRequest): Promise<AffinityGroupView> {
    return this.#drive(`antiAffinityGroupCreate ${params.name}`, async () => this.#nexus.instances.antiAffinityGroupCreate(params))
  }

  /** `affinity_group_member_instance_add`: the instance must be stopped (hold no sled reservation). */
  affinityGroupMemberAdd(group: string, instance: string): Promise<AffinityGroupMemberView> {
    return this.#drive(`affinityGroupMemberAdd ${group} ${instance}`, async () => this.#nexus.instances.affinityGroupMemberAdd(group, instance))
  }

  /** `anti_affinity_group_member_instance_add`: the instance must be stopped (hold no sled reservation). */
  antiAffinityGroupMemberAdd(group: string, instance: string): Promise<AffinityGroupMemberView> {
    return this.#drive(`antiAffinityGroupMemberAdd ${group} ${instance}`, async () => this.#nexus.instances.antiAffinityGroupMemberAdd(group, instance))
  }

  /** Operator migration to a sled named by name, index or id. */
  instanceMigrate(nameOrId: string, options: { readonly dstSled: SledRef }): Promise<InstanceViewWithStartFailure> {
    const dst = resolveSled(this.#sleds, options.dstSled)
    return this.#drive(`instanceMigrate ${nameOrId}`, () => this.#nexus.instances.migrate(nameOrId, { dstSled: dst.id }))
  }

  /** Operator expunge: the sled's policy becomes expunged and the watcher is activated. */
  sledExpunge(sled: SledRef): Promise<void> {
    const target = resolveSled(this.#sleds, sled)
    return this.#drive(`sledExpunge ${target.name}`, async () => {
      await this.#nexus.sledExpunge(typedUuid('sled', target.id))
    })
  }

  /** Nexus dies between two steps: running sagas stay in the log, its APIs stop answering. */
  crash(): void {
    this.#nexus.crash()
  }

  /** Nexus comes back and recovers every unfinished saga from the log. */
  restart(): Promise<void> {
    return this.#drive('nexus restart', async () => {
      await this.#nexus.restart()
    })
  }
}
