// The scenario format (DESIGN.md §5): plain JSON data `{ name, description, seed, config, steps }`.
// Each step is one object tagged by `step`; this schema is what a scenario file is checked against,
// and its types are what the builder produces. Anything a scenario can do, a JSON file can do.
import { z } from 'zod'
import { parseDuration } from '../sim/kernel/time.ts'
import { PROPOLIS_MIGRATION_PHASES, PROPOLIS_OPERATIONS } from '../sim/propolis/types.ts'
import { MIGRATION_STATES } from '../sim/sled-agent/api/vmm-state.ts'
import { AFFINITY_GROUP_KINDS, AFFINITY_POLICIES, INSTANCE_INTENDED_STATES, SAGA_STATES } from '../nexus/db/records.ts'
import { INSTANCE_RECORD_STATES, INSTANCE_STATES } from '../nexus/types/instance-state.ts'
import { VMM_FAILURE_REASONS } from '../nexus/types/vmm-failure-reason.ts'
import { VMM_STATE_LABELS } from '../nexus/types/vmm-state.ts'
import { BACKGROUND_TASKS } from '../nexus/nexus.ts'
import { INVARIANT_NAMES } from './invariants/violation.ts'
import { TestbedConfigSchema } from './testbed-config.ts'
import { parseBytes } from './bytes.ts'

const durationCheck = (value: string | number): boolean => {
  try {
    parseDuration(value)
    return true
  } catch {
    return false
  }
}
const duration = z.union([z.number().nonnegative(), z.string()]).refine(durationCheck, { message: "expected a duration such as 500, '30s', '5m'" })
const bytes = z.union([z.number().int().positive(), z.string()]).refine((v) => parseBytes(v) !== null, { message: "expected bytes: a number, or a string such as '4GiB', '512MiB'" })
const name = z.string().min(1)
const sled = z.union([z.string().min(1), z.number().int().nonnegative()])

/** A VMM named through its instance: the active or target one, or the nth ever made for it (0 first). */
export const VmmRefSchema = z.strictObject({
  instance: name,
  which: z.union([z.enum(['active', 'target', 'last']), z.number().int().nonnegative()]).optional(),
})
export type VmmRef = z.infer<typeof VmmRefSchema>

/** An API error a step expects instead of success. */
const expectError = z.strictObject({
  status: z.number().int().min(400).max(599),
  /** The dropshot `error_code`; null: the error must have none. */
  errorCode: z.string().nullable().optional(),
  /** The whole message. */
  message: z.string().optional(),
  /** A part of the message. */
  messageIncludes: z.string().optional(),
})
export type ExpectedError = z.infer<typeof expectError>

const faultResponse = z.union([
  z.literal('network_error'),
  z.literal('hang'),
  z.strictObject({ status: z.number().int().min(400).max(599), errorCode: z.string().optional(), message: z.string().optional() }),
  z.strictObject({ delay: duration }),
])

/** What `runUntil` waits for. */
const condition = z.union([
  z.strictObject({ instance: name, runState: z.enum(INSTANCE_STATES) }),
  z.strictObject({ vmm: VmmRefSchema, state: z.enum(VMM_STATE_LABELS) }),
  z.strictObject({ saga: z.string(), state: z.enum(SAGA_STATES), count: z.number().int().positive().optional() }),
])
export type Condition = z.infer<typeof condition>

const onInstance = { instance: name, expectError: expectError.optional() }

/** The instance operations: the steps that may also run together, to race. */
const operationSteps = [
  z.strictObject({
    step: z.literal('create'),
    name,
    ncpus: z.number().int().positive(),
    memory: bytes,
    start: z.boolean().optional(),
    autoRestartPolicy: z.enum(['never', 'best_effort']).nullable().optional(),
    autoRestartCooldown: duration.nullable().optional(),
    cpuPlatform: z.enum(['amd_milan', 'amd_turin']).nullable().optional(),
    /** Anti-affinity groups (names) the instance joins: the Oxide API's `anti_affinity_groups`. */
    antiAffinityGroups: z.array(name).optional(),
    /** Affinity groups (names) the instance joins: a testbed convenience. */
    affinityGroups: z.array(name).optional(),
    expectError: expectError.optional(),
  }),
  z.strictObject({ step: z.literal('start'), ...onInstance }),
  z.strictObject({ step: z.literal('stop'), ...onInstance }),
  z.strictObject({ step: z.literal('reboot'), ...onInstance }),
  z.strictObject({ step: z.literal('delete'), ...onInstance }),
  z.strictObject({ step: z.literal('migrate'), ...onInstance, dstSled: sled }),
] as const

export const StepSchema = z.discriminatedUnion('step', [
  // Operations (tb.nexus).
  ...operationSteps,
  /** Operations issued at once and run on the same virtual time (two starts racing, say). */
  z.strictObject({ step: z.literal('concurrently'), steps: z.array(z.discriminatedUnion('step', [...operationSteps])).min(2) }),
  z.strictObject({ step: z.literal('expungeSled'), sled }),
  /** An affinity or anti-affinity group in the project (failure domain `sled`). */
  z.strictObject({
    step: z.literal('affinityGroup'),
    kind: z.enum(AFFINITY_GROUP_KINDS),
    name,
    policy: z.enum(AFFINITY_POLICIES),
    expectError: expectError.optional(),
  }),
  /** A stopped instance joins a group. */
  z.strictObject({ step: z.literal('affinityGroupMember'), kind: z.enum(AFFINITY_GROUP_KINDS), group: name, ...onInstance }),
  z.strictObject({ step: z.literal('crashNexus') }),
  z.strictObject({ step: z.literal('restartNexus') }),
  z.strictObject({ step: z.literal('activate'), task: z.enum(BACKGROUND_TASKS) }),
  // Faults.
  z.strictObject({
    step: z.literal('fault'),
    target: z.enum(['sled-agent', 'nexus-internal']),
    sled: sled.optional(),
    operation: z.string().optional(),
    vmm: VmmRefSchema.optional(),
    times: z.number().int().positive().optional(),
    respond: faultResponse,
    /** A name for `clearFault`. */
    label: z.string().optional(),
  }),
  z.strictObject({ step: z.literal('clearFault'), label: z.string() }),
  z.strictObject({
    step: z.literal('sled'),
    sled,
    action: z.enum(['powerOff', 'powerOn', 'partition', 'heal', 'restartAgent', 'restartAgentForgettingVmms']),
  }),
  z.strictObject({ step: z.literal('forgetVmm'), vmm: VmmRefSchema }),
  z.strictObject({
    step: z.literal('vmm'),
    vmm: VmmRefSchema,
    action: z.enum(['crash', 'guestShutdown', 'guestReboot', 'hang', 'unhang', 'failNextStart']),
    operations: z.array(z.enum(PROPOLIS_OPERATIONS)).optional(),
  }),
  z.strictObject({
    step: z.literal('failMigration'),
    vmm: VmmRefSchema,
    side: z.enum(['source', 'target']),
    phase: z.enum(PROPOLIS_MIGRATION_PHASES).exclude(['Finish', 'Error', 'Resume']).optional(),
  }),
  z.strictObject({
    step: z.literal('sagaFault'),
    saga: z.string().min(1),
    node: z.string().min(1),
    fault: z.enum(['fail', 'failUndo', 'crashNexusAfter']),
    times: z.number().int().positive().optional(),
  }),
  // Time.
  z.strictObject({ step: z.literal('advance'), by: duration }),
  z.strictObject({ step: z.literal('settle') }),
  z.strictObject({ step: z.literal('runUntil'), until: condition, timeout: duration.optional() }),
  z.strictObject({ step: z.literal('note'), text: z.string() }),
  // Assertions.
  z.strictObject({
    step: z.literal('expectInstance'),
    instance: name,
    runState: z.enum(INSTANCE_STATES).optional(),
    autoRestartEnabled: z.boolean().optional(),
    autoRestarted: z.boolean().optional(),
    startFailure: z.union([z.null(), z.strictObject({ failedNode: z.string().optional(), startReason: z.enum(['user', 'auto_start', 'auto_restart']).optional(), messageIncludes: z.string().optional() })]).optional(),
    sled: sled.optional(),
    gone: z.boolean().optional(),
  }),
  z.strictObject({
    step: z.literal('expectRecord'),
    instance: name,
    state: z.enum(INSTANCE_RECORD_STATES).optional(),
    intendedState: z.enum(INSTANCE_INTENDED_STATES).optional(),
    gen: z.number().int().positive().optional(),
    hasActiveVmm: z.boolean().optional(),
    hasTargetVmm: z.boolean().optional(),
    hasMigration: z.boolean().optional(),
    updaterLocked: z.boolean().optional(),
  }),
  z.strictObject({
    step: z.literal('expectVmm'),
    vmm: VmmRefSchema,
    state: z.enum(VMM_STATE_LABELS).optional(),
    failureReason: z.enum(VMM_FAILURE_REASONS).nullable().optional(),
    gen: z.number().int().positive().optional(),
    deleted: z.boolean().optional(),
    sled: sled.optional(),
  }),
  z.strictObject({ step: z.literal('expectVmmCount'), instance: name, count: z.number().int().nonnegative() }),
  z.strictObject({
    step: z.literal('expectSagas'),
    name: z.string().optional(),
    /** Only the sagas that worked on this instance. */
    instance: name.optional(),
    /** The states of the matching sagas in creation order. */
    states: z.array(z.enum(SAGA_STATES)).optional(),
    /** The failed node of the last matching saga. */
    failedNode: z.string().optional(),
  }),
  z.strictObject({
    step: z.literal('expectMigration'),
    instance: name,
    sourceState: z.enum(MIGRATION_STATES).optional(),
    targetState: z.enum(MIGRATION_STATES).optional(),
  }),
  z.strictObject({ step: z.literal('expectProvisioning'), cpus: z.number().int().nonnegative(), ram: bytes.or(z.literal(0)) }),
  z.strictObject({ step: z.literal('expectReservations'), sled: sled.optional(), count: z.number().int().nonnegative() }),
  z.strictObject({
    step: z.literal('expectTrace'),
    /** Lines of the text timeline containing this text. */
    includes: z.string().min(1),
    count: z.number().int().nonnegative().optional(),
    atLeast: z.number().int().nonnegative().optional(),
  }),
  z.strictObject({ step: z.literal('expectViolations'), invariants: z.array(z.enum(INVARIANT_NAMES)) }),
])
export type Step = z.infer<typeof StepSchema>
export type StepKind = Step['step']

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a scenario name is lowercase letters, digits and dashes'),
  description: z.string().min(1),
  seed: z.number().int().nonnegative(),
  config: TestbedConfigSchema.omit({ seed: true }),
  /** Invariants this scenario breaks on purpose; each must be seen, and no other may be. */
  expectViolations: z.array(z.enum(INVARIANT_NAMES)).optional(),
  steps: z.array(StepSchema).min(1),
})
export type Scenario = z.infer<typeof ScenarioSchema>
export type ScenarioInput = z.input<typeof ScenarioSchema>
