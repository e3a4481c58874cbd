// The public API of omicron-testbed (the package root export): `createTestbed` and the contract of
// DESIGN.md §4, the scenario format, builder and runner, the reports, and the kernel and conversion
// pieces a suite may want (durations, the trace, the state vocabularies).
export { createTestbed, Testbed, TestbedTimeoutError, TestbedDisposedError, type TestbedFaultRule } from './testbed.ts'
export { TestbedConfigSchema, TestbedRunOptionsSchema, TestbedConfigError, type TestbedConfig, type SledSpec, type Transport, type InvariantLevel, type TraceMode } from './testbed-config.ts'
export {
  TestbedNexus,
  type InstanceCreateParams,
  type InstanceView,
  type AffinityGroupCreateRequest,
  type AffinityGroupMemberView,
  type AffinityGroupView,
  type InstanceAffinityRequest,
} from './testbed-nexus.ts'
export { TestbedLookupError, type SledHandle, type SledRef, type VmmHandle } from './testbed-handles.ts'
export { NexusApiError } from '../nexus/app/errors.ts'
export type { InstanceDbView, VmmDbView, MigrationDbView, SagaDbView, DbReadView } from '../nexus/db/read-views.ts'
export type { BackgroundTaskName } from '../nexus/nexus.ts'
export type { NexusFlags } from '../nexus/nexus-config.ts'
export { INVARIANT_NAMES, type InvariantName, type InvariantViolation } from './invariants/violation.ts'

// Scenarios.
export { scenario, op, ScenarioBuilder, type ScenarioMeta } from './define.ts'
export { ScenarioSchema, StepSchema, type Scenario, type ScenarioInput, type Step, type StepKind, type VmmRef, type Condition } from './scenario-schema.ts'
export { parseScenario, loadScenarioFile, ScenarioFormatError } from './scenario-load.ts'
export { runScenario, runScenarioOn, type RunOptions } from './run.ts'
export { CATALOGUE, catalogueScenario } from './catalog/index.ts'
export type { ScenarioRunReport, CatalogueReport, StepFailure } from './report/report-model.ts'

// The kernel and the vocabularies.
export { VirtualClock, type VirtualClockOptions } from '../sim/kernel/clock.ts'
export { parseDuration, formatIso, parseIso, type DurationInput } from '../sim/kernel/time.ts'
export { Rng, type Seed } from '../sim/kernel/rng.ts'
export { Trace, type TraceEvent, type TraceEventMap } from '../sim/kernel/trace.ts'
export { effectiveInstanceState } from '../nexus/types/effective-instance-state.ts'
export { VMM_FAILURE_REASONS, describeVmmFailureReason, type VmmFailureReason } from '../nexus/types/vmm-failure-reason.ts'
export { VMM_STATE_LABELS, type VmmState, type VmmStateLabel } from '../nexus/types/vmm-state.ts'
export { INSTANCE_STATES, type InstanceState } from '../nexus/types/instance-state.ts'
