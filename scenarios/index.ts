// The public API of omicron-testbed (the package root export). `createTestbed` and the rest of the
// contract in DESIGN.md §4 are added here as they are built; what is here now is the deterministic
// kernel and the VMM-state conversion layer.
export { VirtualClock, type VirtualClockOptions } from '../sim/kernel/clock.ts'
export { parseDuration, formatIso, parseIso, type DurationInput } from '../sim/kernel/time.ts'
export { Rng, type Seed } from '../sim/kernel/rng.ts'
export { Trace, type TraceEvent, type TraceEventMap } from '../sim/kernel/trace.ts'
export { effectiveInstanceState } from '../nexus/types/effective-instance-state.ts'
export { VMM_FAILURE_REASONS, describeVmmFailureReason, type VmmFailureReason } from '../nexus/types/vmm-failure-reason.ts'
export { VMM_STATE_LABELS, type VmmState, type VmmStateLabel } from '../nexus/types/vmm-state.ts'
export { INSTANCE_STATES, type InstanceState } from '../nexus/types/instance-state.ts'
