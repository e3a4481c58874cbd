// Request and response bodies of the sled-agent VMM endpoints (sled-agent OpenAPI v48.0.0):
// `InstanceEnsureBody` (vmm_register), `VmmPutStateBody` (vmm_put_state) and the
// `{updated_runtime}` responses. Mirrors: omicron sled-agent/types/versions/src/initial/instance.rs@b848b6d.
import { z } from 'zod'
import { typedUuid } from '../../kernel/ids.ts'
import { SledVmmStateSchema, VmmRuntimeStateSchema } from './vmm-state.ts'

const uuidOf = <K extends Parameters<typeof typedUuid>[0]>(kind: K) => z.guid().transform((s) => typedUuid(kind, s))

/** `VmmStateRequested`: adjacently tagged (`type`, `value`), snake_case. */
export const VmmStateRequestedSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('running') }),
  z.object({ type: z.literal('stopped') }),
  z.object({ type: z.literal('reboot') }),
  z.object({ type: z.literal('migration_target'), value: z.object({ src_propolis_addr: z.string() }) }),
])
export type VmmStateRequested = z.infer<typeof VmmStateRequestedSchema>

export const VmmPutStateBodySchema = z.object({ state: VmmStateRequestedSchema })
export type VmmPutStateBody = z.infer<typeof VmmPutStateBodySchema>

// Simplification: the VMM spec and the sled-local configuration are checked for the fields the
// testbed uses (board cpus and memory, hostname) and for the presence and JSON type of every other
// required field; the nested networking and component shapes are not validated member by member.
const BoardSchema = z.object({
  cpus: z.int().min(0).max(255),
  memory_mb: z.int().min(0),
  chipset: z.object({ type: z.string() }).loose(),
  cpuid: z.unknown().optional(),
  guest_hv_interface: z.unknown().optional(),
})

export const VmmSpecSchema = z.object({
  board: BoardSchema,
  components: z.record(z.string(), z.object({ type: z.string(), component: z.unknown() })),
  smbios: z.unknown().optional(),
})

export const InstanceSledLocalConfigSchema = z.object({
  hostname: z.string().min(1).max(253),
  nics: z.array(z.unknown()),
  external_ips: z.object({}).loose(),
  firewall_rules: z.array(z.unknown()),
  dhcp_config: z.object({}).loose(),
  multicast_groups: z.array(z.unknown()),
  delegated_zvols: z.array(z.unknown()),
  attached_subnets: z.array(z.unknown()),
  primary_nic_mtu: z.int().min(0).nullable().optional(),
})

export const InstanceEnsureBodySchema = z.object({
  instance_id: uuidOf('instance'),
  vmm_spec: VmmSpecSchema,
  local_config: InstanceSledLocalConfigSchema,
  vmm_runtime: VmmRuntimeStateSchema,
  migration_id: uuidOf('migration').nullable().default(null),
  propolis_addr: z.string(),
  metadata: z.object({ silo_id: z.guid(), project_id: z.guid() }),
})
export type InstanceEnsureBody = z.infer<typeof InstanceEnsureBodySchema>
/** The body as a caller writes it (before defaults and brands apply). */
export type InstanceEnsureBodyInput = z.input<typeof InstanceEnsureBodySchema>

/** `VmmPutStateResponse` and `VmmUnregisterResponse`: `updated_runtime` is optional and nullable. */
export const UpdatedRuntimeResponseSchema = z.object({
  updated_runtime: SledVmmStateSchema.nullable().default(null),
})
export type UpdatedRuntimeResponse = z.infer<typeof UpdatedRuntimeResponseSchema>
