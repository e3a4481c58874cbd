// What `createTestbed` accepts (DESIGN.md §4), as a zod schema so that the same rules check a
// scenario file's `config`, and its normalisation into what the sleds, Propolis and Nexus take.
import { z } from 'zod'
import { parseDuration } from '../sim/kernel/time.ts'
import { CPU_FAMILIES, type CpuFamily } from '../sim/sled-agent/sled.ts'
import type { PropolisTiming } from '../sim/propolis/types.ts'
import type { SledAgentTiming } from '../sim/sled-agent/timing.ts'
import { DEFAULT_PERIODS, type BackgroundTaskName } from '../nexus/nexus.ts'
import type { NexusFlags } from '../nexus/nexus-config.ts'

const duration = z.union([z.number().nonnegative(), z.string().min(1)]).refine(
  (value) => {
    try {
      parseDuration(value)
      return true
    } catch {
      return false
    }
  },
  { message: "expected a duration: ms as a number, or a string such as '30s', '5m', '1h'" },
)

const sledSpec = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a sled name is lowercase letters, digits and dashes').optional(),
  hardwareThreads: z.number().int().positive().optional(),
  reservoirGiB: z.number().int().positive().optional(),
  cpuFamily: z.enum(CPU_FAMILIES).optional(),
})

const periods = z.strictObject({
  instanceWatcher: duration.optional(),
  instanceUpdater: duration.optional(),
  instanceReincarnation: duration.optional(),
  abandonedVmmReaper: duration.optional(),
})

/**
 * How the simulated services reach each other: `'msw'` (the default) sends every call through the
 * global `fetch` that MSW intercepts; `'direct'` hands each request straight to the simulated
 * network (same handlers, faults and trace, no interception), for large runs.
 */
export const TRANSPORTS = ['msw', 'direct'] as const
export type Transport = (typeof TRANSPORTS)[number]

/**
 * How much of DESIGN.md §6 is checked: `'full'` (the default) runs the per-write checks on every
 * record write and the global checks after every step; `'writes'` only the per-write checks (each
 * O(1)); `'off'` none, for benchmarks. Violations a lighter level does not look for are not found.
 */
export const INVARIANT_LEVELS = ['off', 'writes', 'full'] as const
export type InvariantLevel = (typeof INVARIANT_LEVELS)[number]

/**
 * What the trace keeps: `'events'` (the default) every event; `'counts'` only how many of each
 * kind, for runs of millions of events (then `tb.trace()` is empty and `tb.traceCounts()` has the
 * counts; listeners still see every event).
 */
export const TRACE_MODES = ['events', 'counts'] as const
export type TraceMode = (typeof TRACE_MODES)[number]

export const TestbedConfigSchema = z.strictObject({
  seed: z.number().int().nonnegative().optional(),
  sleds: z.union([z.number().int().min(1).max(10_000), z.array(sledSpec).min(1)]).optional(),
  nexus: z
    .strictObject({
      propagation: z.enum(['upcall', 'doorbell']).optional(),
      recordStartFailures: z.boolean().optional(),
      unwoundStartLeaves: z.enum(['stopped', 'failed']).optional(),
      failOnAnySledAgentError: z.boolean().optional(),
      periods: periods.optional(),
    })
    .optional(),
  propolis: z
    .strictObject({
      initTime: duration.optional(),
      bootTime: duration.optional(),
      stopTime: duration.optional(),
      rebootTime: duration.optional(),
      rundownTime: duration.optional(),
      migrationPhaseTime: duration.optional(),
      /** null: a crashed propolis-server never comes back. */
      restartAfterCrash: duration.nullable().optional(),
    })
    .optional(),
  sledAgent: z
    .strictObject({
      zoneSetupTime: duration.optional(),
      zoneTeardownTime: duration.optional(),
      stopGracePeriod: duration.optional(),
      agentRestartTime: duration.optional(),
      sledBootTime: duration.optional(),
    })
    .optional(),
})

/**
 * How a run is carried out rather than what it simulates: `createTestbed` takes these next to the
 * config, a scenario's `config` does not (a scenario always runs with full checks and a full trace).
 */
export const TestbedRunOptionsSchema = z.strictObject({
  transport: z.enum(TRANSPORTS).optional(),
  invariants: z.enum(INVARIANT_LEVELS).optional(),
  trace: z.enum(TRACE_MODES).optional(),
})

const CreateTestbedSchema = TestbedConfigSchema.extend(TestbedRunOptionsSchema.shape)

/** What `createTestbed` takes: the config a scenario can carry, and the run options. */
export type TestbedConfig = z.input<typeof CreateTestbedSchema>
export type SledSpec = z.input<typeof sledSpec>

export interface NormalisedSled {
  readonly name: string
  readonly hardwareThreads: number
  readonly reservoirGiB: number
  readonly cpuFamily: CpuFamily
}

export interface NormalisedConfig {
  readonly seed: number
  readonly transport: Transport
  readonly invariants: InvariantLevel
  readonly trace: TraceMode
  readonly sleds: readonly NormalisedSled[]
  readonly flags: Partial<NexusFlags>
  readonly periods: Record<BackgroundTaskName, number>
  readonly propolisTiming: Partial<PropolisTiming>
  readonly sledAgentTiming: Partial<SledAgentTiming>
}

export class TestbedConfigError extends Error {
  override readonly name = 'TestbedConfigError'
}

const SLED_DEFAULTS = { hardwareThreads: 64, reservoirGiB: 256, cpuFamily: 'amd_milan' } as const

/** Checks `config` and fills in DESIGN.md §4's defaults; a bad field is a TestbedConfigError naming it. */
export function normaliseConfig(config: TestbedConfig = {}): NormalisedConfig {
  const parsed = CreateTestbedSchema.safeParse(config)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? 'config' : `config.${issue.path.join('.')}`
    throw new TestbedConfigError(`createTestbed failed: ${where}: ${issue?.message ?? 'invalid'}`)
  }
  const c = parsed.data
  const specs = typeof c.sleds === 'number' || c.sleds === undefined ? Array.from({ length: c.sleds ?? 2 }, () => ({})) : c.sleds
  const sleds: NormalisedSled[] = specs.map((spec: SledSpec, i) => ({
    name: spec.name ?? `sled-${i + 1}`,
    hardwareThreads: spec.hardwareThreads ?? SLED_DEFAULTS.hardwareThreads,
    reservoirGiB: spec.reservoirGiB ?? SLED_DEFAULTS.reservoirGiB,
    cpuFamily: spec.cpuFamily ?? SLED_DEFAULTS.cpuFamily,
  }))
  const names = new Set<string>()
  for (const sled of sleds) {
    if (names.has(sled.name)) throw new TestbedConfigError(`createTestbed failed: config.sleds: two sleds are called ${sled.name}`)
    names.add(sled.name)
  }
  const { periods: p = {}, ...flags } = c.nexus ?? {}
  const ms = (value: string | number | undefined, fallback: number) => (value === undefined ? fallback : parseDuration(value))
  const pt = c.propolis ?? {}
  const st = c.sledAgent ?? {}
  return {
    seed: c.seed ?? 1,
    transport: c.transport ?? 'msw',
    invariants: c.invariants ?? 'full',
    trace: c.trace ?? 'events',
    sleds,
    flags: definedOnly(flags),
    periods: {
      instance_watcher: ms(p.instanceWatcher, DEFAULT_PERIODS.instance_watcher),
      instance_updater: ms(p.instanceUpdater, DEFAULT_PERIODS.instance_updater),
      instance_reincarnation: ms(p.instanceReincarnation, DEFAULT_PERIODS.instance_reincarnation),
      abandoned_vmm_reaper: ms(p.abandonedVmmReaper, DEFAULT_PERIODS.abandoned_vmm_reaper),
    },
    propolisTiming: definedOnly({
      initMs: optionalMs(pt.initTime),
      bootMs: optionalMs(pt.bootTime),
      stopMs: optionalMs(pt.stopTime),
      rebootMs: optionalMs(pt.rebootTime),
      rundownMs: optionalMs(pt.rundownTime),
      migrationPhaseMs: optionalMs(pt.migrationPhaseTime),
      restartAfterCrashMs: pt.restartAfterCrash === null ? null : optionalMs(pt.restartAfterCrash),
    }),
    sledAgentTiming: definedOnly({
      zoneSetupMs: optionalMs(st.zoneSetupTime),
      zoneTeardownMs: optionalMs(st.zoneTeardownTime),
      stopGraceMs: optionalMs(st.stopGracePeriod),
      agentRestartMs: optionalMs(st.agentRestartTime),
      sledBootMs: optionalMs(st.sledBootTime),
    }),
  }
}

function optionalMs(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value)
}

function definedOnly<T extends object>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> }
}
