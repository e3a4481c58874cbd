// The sled-agent's monitor task for one zone: long-polls Propolis's state monitor from gen 0, then
// `last.gen + 1`, and hands each result to the runner, waiting for it to say continue or break.
// Communication errors are retried with the local backoff while the zone still exists; once it is
// gone the runner hears ZoneGone. Mirrors: omicron sled-agent/src/instance.rs@b848b6d
// (InstanceMonitorRunner).
import type { VirtualClock } from '../kernel/clock.ts'
import type { Rng } from '../kernel/rng.ts'
import type { PropolisMonitorResponse, PropolisServerHandle } from '../propolis/types.ts'
import { backoffDelays, LOCAL_POLICY } from './backoff.ts'

export type MonitorUpdate =
  | { readonly kind: 'state'; readonly observation: PropolisMonitorResponse }
  | { readonly kind: 'zone_gone' }
  /** Propolis restarted and has no VM. */
  | { readonly kind: 'no_instance' }
  /** A lifecycle error code the monitor should never return; logged, and polling goes on. */
  | { readonly kind: 'unexpected_code'; readonly code: string }

const PROPOLIS_ERROR_CODES = ['NoInstance', 'AlreadyInitialized', 'AlreadyRunning', 'CreateFailed'] as const

export interface MonitorDeps {
  readonly propolis: PropolisServerHandle
  readonly clock: VirtualClock
  readonly rng: Rng
  /** Whether the zone still exists (the sled-agent's zone lookup after a communication error). */
  readonly zonePresent: () => boolean
  readonly deliver: (update: MonitorUpdate) => Promise<'continue' | 'break'>
}

export async function monitorPropolis(deps: MonitorDeps): Promise<void> {
  let generation = 0
  for (;;) {
    const update = await pollUntilAnswered(deps, generation)
    if (update.kind === 'state') generation = update.observation.gen + 1
    if ((await deps.deliver(update)) === 'break') return
  }
}

async function pollUntilAnswered(deps: MonitorDeps, generation: number): Promise<MonitorUpdate> {
  const delays = backoffDelays(LOCAL_POLICY, deps.rng)
  for (;;) {
    const result = await deps.propolis.monitor(generation)
    if (result.ok) return { kind: 'state', observation: result.value }
    const { error } = result
    if (error.kind === 'connection') {
      if (!deps.zonePresent()) return { kind: 'zone_gone' }
    } else {
      const code = PROPOLIS_ERROR_CODES.find((c) => c === error.errorCode)
      if (code === 'NoInstance') return { kind: 'no_instance' }
      if (code !== undefined) return { kind: 'unexpected_code', code }
    }
    // The zone is running but Propolis did not answer usefully: retry.
    await deps.clock.sleep(delays.next().value)
  }
}
