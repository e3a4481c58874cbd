// How reported VMM states reach `processVmmUpdate`: the upcall, the doorbell (pull the state from
// the VMM's sled-agent, as the unmerged prototype of omicron#10290 does), the responses of
// sled-agent calls, and `markVmmFailed` when a sled-agent says the VMM is gone.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`notify_vmm_updated`, `mark_vmm_failed`).
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { InstanceUuid, PropolisUuid, SledUuid } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type * as wire from '../../sim/sled-agent/api/index.ts'
import type { VmmStateIntake } from '../api/internal-handlers.ts'
import type { Datastore } from '../db/datastore.ts'
import { sledVmmStateFromSledAgent } from '../types/from-sled-agent.ts'
import type { VmmFailureReason } from '../types/vmm-failure-reason.ts'
import { internalError } from './errors.ts'
import { isVmmGone, SledAgentClientError, type SledAgentClient } from './sled-agent-client.ts'
import { processVmmUpdate, synthesizedFailure, type VmmUpdateOutcome } from './vmm-update.ts'

/** Runs instance-update sagas; issue 5's saga executor provides the real one. */
export interface InstanceUpdates {
  /** `notify_vmm_updated`: start the saga and return at once. */
  spawn(instanceId: InstanceUuid): void
  /** `mark_vmm_failed` and the watcher: run the saga to its end. */
  run(instanceId: InstanceUuid): Promise<void>
}

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    'nexus.vmm_marked_failed': { readonly propolis: string; readonly reason: VmmFailureReason; readonly written: boolean }
  }
}

export interface VmmIntakeDeps {
  readonly db: Datastore
  readonly trace: Trace
  readonly clock: VirtualClock
  readonly sledClient: (sledId: SledUuid) => SledAgentClient
  readonly updates: InstanceUpdates
}

export class VmmIntake implements VmmStateIntake {
  readonly #deps: VmmIntakeDeps

  constructor(deps: VmmIntakeDeps) {
    this.#deps = deps
  }

  /** Processes a sled-agent's report; spawns an update saga if one is needed. */
  notify(propolisId: PropolisUuid, state: wire.SledVmmState): VmmUpdateOutcome {
    const { db, trace, updates } = this.#deps
    const outcome = processVmmUpdate(db, trace, propolisId, sledVmmStateFromSledAgent(state))
    if (outcome.kind === 'needs_instance_update') updates.spawn(outcome.instanceId)
    return outcome
  }

  acceptUpcall(propolisId: PropolisUuid, state: wire.SledVmmState): Promise<void> {
    this.notify(propolisId, state)
    return Promise.resolve()
  }

  /**
   * The doorbell: look up the live VMM and its sled, pull the state and process it. A 404
   * NO_SUCH_INSTANCE marks the VMM failed (unless its instance is already gone); any other failure
   * is an internal error, so the sled-agent retries.
   */
  async ringDoorbell(propolisId: PropolisUuid): Promise<void> {
    const { db } = this.#deps
    const vmm = db.vmmGet(propolisId)
    const sled = vmm === null ? null : db.sledGet(vmm.sledId)
    if (vmm === null || sled === null) throw internalError(`doorbell failed: no live VMM ${propolisId} on a known sled`)
    let state: wire.SledVmmState
    try {
      state = await this.#deps.sledClient(sled.id).vmmGetState(propolisId)
    } catch (error) {
      if (error instanceof SledAgentClientError && isVmmGone(error)) {
        if (db.instanceGet(vmm.instanceId) !== null) await this.markVmmFailed(propolisId, 'no_such_instance')
        return
      }
      throw internalError(`doorbell failed: pulling the state of VMM ${propolisId}: ${String(error)}`)
    }
    this.notify(propolisId, state)
  }

  /**
   * `mark_vmm_failed`: writes `failed(reason)` with the usual generation guard and runs the update
   * saga to its end, so the instance is already failed when the caller's error reaches the user.
   * A failed write is only traced, as omicron only logs it.
   */
  async markVmmFailed(propolisId: PropolisUuid, reason: VmmFailureReason): Promise<void> {
    const { db, trace, clock, updates } = this.#deps
    const row = db.vmmGet(propolisId, { includeDeleted: true })
    if (row === null) {
      trace.record('nexus.vmm_marked_failed', { propolis: propolisId, reason, written: false })
      return
    }
    const { updated } = db.vmmUpdateRuntime(propolisId, synthesizedFailure(row, reason, clock.now()).vmmState)
    trace.record('nexus.vmm_marked_failed', { propolis: propolisId, reason, written: updated })
    await updates.run(row.instanceId)
  }
}
