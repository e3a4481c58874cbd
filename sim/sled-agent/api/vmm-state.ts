// The VMM state shapes on the wire, exactly as the sled-agent OpenAPI (v48.0.0) and the
// nexus-internal OpenAPI (1.0.0) declare them: `SledVmmState`, `VmmRuntimeState`,
// `MigrationRuntimeState`, `VmmState` and `MigrationState`, with the zod schemas that check them at
// the HTTP edges. Mirrors: omicron sled-agent/types/versions/src/initial/instance.rs@b848b6d.
import { z } from 'zod'
import { typedUuid } from '../../kernel/ids.ts'
import { GenerationSchema } from './generation.ts'

/** Wire `VmmState`: 8 values. There is no `creating` and no `saga_unwound` on the wire. */
export const VMM_STATES = ['starting', 'running', 'stopping', 'stopped', 'rebooting', 'migrating', 'failed', 'destroyed'] as const
export type VmmState = (typeof VMM_STATES)[number]
export const VmmStateSchema = z.enum(VMM_STATES)

/** The sled-agent's terminal set: a VMM in one of these is halted and will be deregistered. */
export const TERMINAL_VMM_STATES = ['failed', 'destroyed'] as const satisfies readonly VmmState[]

/** Wire `MigrationState`: 4 values. */
export const MIGRATION_STATES = ['pending', 'in_progress', 'failed', 'completed'] as const
export type MigrationState = (typeof MIGRATION_STATES)[number]
export const MigrationStateSchema = z.enum(MIGRATION_STATES)

export const TERMINAL_MIGRATION_STATES = ['completed', 'failed'] as const satisfies readonly MigrationState[]

/** RFC 3339 with any offset and any sub-second precision, as chrono accepts it. */
export const TimestampSchema = z.iso.datetime({ offset: true })

export const VmmRuntimeStateSchema = z.object({
  state: VmmStateSchema,
  gen: GenerationSchema,
  time_updated: TimestampSchema,
})
export type VmmRuntimeState = z.infer<typeof VmmRuntimeStateSchema>

export const MigrationRuntimeStateSchema = z.object({
  migration_id: z.guid().transform((s) => typedUuid('migration', s)),
  state: MigrationStateSchema,
  gen: GenerationSchema,
  time_updated: TimestampSchema,
})
export type MigrationRuntimeState = z.infer<typeof MigrationRuntimeStateSchema>

// `migration_in` and `migration_out` are optional and nullable in the OpenAPI document; serde
// writes absent options as null, so after parsing both are always present (null when absent).
export const SledVmmStateSchema = z.object({
  vmm_state: VmmRuntimeStateSchema,
  migration_in: MigrationRuntimeStateSchema.nullable().default(null),
  migration_out: MigrationRuntimeStateSchema.nullable().default(null),
})
export type SledVmmState = z.infer<typeof SledVmmStateSchema>
