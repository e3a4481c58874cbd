// The instance watcher: checks every VMM that may exist on a sled (not creating, saga_unwound or
// destroyed; deleted rows and rows on unknown sleds skipped) and feeds what it learns through
// processVmmUpdate, running any update saga to its end. The decision table is omicron-model.md §5.6:
// expunged sled -> failed(sled_expunged) without a call; the sled-agent's state; 404
// NO_SUCH_INSTANCE -> failed(no_such_instance); no answer and the SP not in A0 -> failed(sled_off);
// anything else is inconclusive. Mirrors: omicron nexus/src/app/background/tasks/instance_watcher.rs@b848b6d.
// Simplification: checks run one after another (omicron runs up to 16 at once), so the order of
// writes is deterministic.
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { SledUuid } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { WatchedVmm } from '../db/background-queries.ts'
import type { Datastore } from '../db/datastore.ts'
import type { MgsClient } from '../app/mgs-client.ts'
import { isVmmGone, SledAgentClientError, type SledAgentClient } from '../app/sled-agent-client.ts'
import type { InstanceUpdates } from '../app/vmm-intake.ts'
import { processVmmUpdate, synthesizedFailure } from '../app/vmm-update.ts'
import { sledVmmStateFromSledAgent } from '../types/from-sled-agent.ts'
import type { SledVmmState } from '../types/vmm-runtime-state.ts'
import type { VmmFailureReason } from '../types/vmm-failure-reason.ts'
import type { BackgroundTask, TaskStatus } from './driver.ts'

export interface InstanceWatcherDeps {
  readonly db: Datastore
  readonly trace: Trace
  readonly clock: VirtualClock
  readonly updates: InstanceUpdates
  readonly sledClient: (sledId: SledUuid) => SledAgentClient
  readonly mgs: MgsClient
  /** The SP slot of a sled, as the inventory knows it; null when unknown. */
  readonly spSlot: (sledId: SledUuid) => number | null
}

/** What one check concluded. */
type Check = { readonly kind: 'state'; readonly report: SledVmmState; readonly reason: 'success' | VmmFailureReason } | { readonly kind: 'incomplete'; readonly reason: string }

export function instanceWatcher(deps: InstanceWatcherDeps): BackgroundTask {
  return {
    name: 'instance_watcher',
    async activate(): Promise<TaskStatus> {
      const watched = deps.db.vmmListForWatcher()
      const checks: Record<string, number> = {}
      const failed: Record<string, number> = {}
      const incomplete: Record<string, number> = {}
      let sagas = 0
      for (const target of watched) {
        const check = await checkVmm(deps, target)
        if (check.kind === 'incomplete') {
          incomplete[check.reason] = (incomplete[check.reason] ?? 0) + 1
          continue
        }
        if (check.reason !== 'success') failed[check.reason] = (failed[check.reason] ?? 0) + 1
        try {
          const outcome = processVmmUpdate(deps.db, deps.trace, target.vmm.id, check.report)
          checks[check.report.vmmState.state.state] = (checks[check.report.vmmState.state.state] ?? 0) + 1
          if (outcome.kind === 'needs_instance_update') {
            sagas += 1
            await deps.updates.run(outcome.instanceId)
          }
        } catch {
          incomplete['update_failed'] = (incomplete['update_failed'] ?? 0) + 1
        }
      }
      return { total_instances: watched.length, vmm_states: checks, failed_checks: failed, incomplete_checks: incomplete, update_sagas_queued: sagas }
    },
  }
}

async function checkVmm(deps: InstanceWatcherDeps, { sled, vmm }: WatchedVmm): Promise<Check> {
  const fail = (reason: VmmFailureReason): Check => ({ kind: 'state', report: synthesizedFailure(vmm, reason, deps.clock.now()), reason })
  // An expunged sled is not asked anything: its VMMs are gone for good.
  if (sled.policy === 'expunged') return fail('sled_expunged')
  try {
    const state = await deps.sledClient(sled.id).vmmGetState(vmm.id)
    return { kind: 'state', report: sledVmmStateFromSledAgent(state), reason: 'success' }
  } catch (error) {
    if (!(error instanceof SledAgentClientError)) throw error
    if (isVmmGone(error)) return fail('no_such_instance')
    const { failure } = error
    switch (failure.kind) {
      case 'error_response':
        return { kind: 'incomplete', reason: String(failure.status) }
      case 'invalid_payload':
        return { kind: 'incomplete', reason: 'client_error' }
      case 'communication': {
        // No answer at all: only a sled known to be powered off fails its VMMs.
        const slot = deps.spSlot(sled.id)
        const power = slot === null ? null : await deps.mgs.sledPowerState(slot)
        return power !== null && power !== 'A0' ? fail('sled_off') : { kind: 'incomplete', reason: 'unreachable' }
      }
    }
  }
}
