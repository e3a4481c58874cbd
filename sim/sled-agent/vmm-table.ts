// The sled-agent's VMM table (its instance manager): registration, unregistration, and routing of
// state requests to each VMM's runner. Mirrors: omicron sled-agent/src/instance_manager.rs@b848b6d.
import type { InstanceUuid, PropolisUuid } from '../kernel/ids.ts'
import { INITIAL_GENERATION, type InstanceEnsureBody, type SledVmmState, type VmmStateRequested } from './api/index.ts'
import { runnerError, type RunnerReply } from './runner-reply.ts'
import type { VmmRunner } from './vmm-runner.ts'

/** Builds a runner for a new registration; the table passes the hook that removes it again. */
export type RunnerFactory = (body: InstanceEnsureBody, propolisId: PropolisUuid, initial: SledVmmState, onDeregistered: () => void) => VmmRunner

const NO_SUCH_INSTANCE = runnerError(404, 'NO_SUCH_INSTANCE', 'Not Found')

export class VmmTable {
  readonly #runners = new Map<PropolisUuid, VmmRunner>()
  readonly #createRunner: RunnerFactory
  readonly #now: () => string

  constructor(createRunner: RunnerFactory, now: () => string) {
    this.#createRunner = createRunner
    this.#now = now
  }

  get(propolisId: PropolisUuid): VmmRunner | undefined {
    return this.#runners.get(propolisId)
  }

  runners(): readonly VmmRunner[] {
    return [...this.#runners.values()]
  }

  /** `vmm_register`: idempotent for the same instance; another instance's id is a 500. */
  register(propolisId: PropolisUuid, body: InstanceEnsureBody): RunnerReply {
    const existing = this.#runners.get(propolisId)
    if (existing !== undefined) {
      return existing.instanceId === body.instance_id ? { kind: 'state', state: existing.state } : runnerError(500, 'Internal', 'Internal Server Error')
    }
    const initial: SledVmmState = {
      vmm_state: body.vmm_runtime,
      // A migration target learns of its migration at registration: pending, at the DB's gen 1.
      migration_in: body.migration_id === null ? null : { migration_id: body.migration_id, state: 'pending', gen: INITIAL_GENERATION, time_updated: this.#now() },
      migration_out: null,
    }
    const runner = this.#createRunner(body, propolisId, initial, () => {
      if (this.#runners.get(propolisId) === runner) this.#runners.delete(propolisId)
    })
    this.#runners.set(propolisId, runner)
    return { kind: 'state', state: initial }
  }

  /** `vmm_unregister`: null for a VMM this sled does not know (never a 404). */
  async unregister(propolisId: PropolisUuid): Promise<SledVmmState | null> {
    const runner = this.#runners.get(propolisId)
    return runner === undefined ? null : runner.unregister()
  }

  getState(propolisId: PropolisUuid): Promise<RunnerReply> {
    return this.#runners.get(propolisId)?.getState() ?? Promise.resolve(NO_SUCH_INSTANCE)
  }

  putState(propolisId: PropolisUuid, state: VmmStateRequested): Promise<RunnerReply> {
    return this.#runners.get(propolisId)?.putState(state) ?? Promise.resolve(NO_SUCH_INSTANCE)
  }

  /** Drops every VMM (or one) without a word to Nexus. */
  forget(propolisId?: PropolisUuid): void {
    for (const [id, runner] of this.#runners) {
      if (propolisId !== undefined && id !== propolisId) continue
      runner.forget()
      this.#runners.delete(id)
    }
  }

  instanceOf(propolisId: PropolisUuid): InstanceUuid | undefined {
    return this.#runners.get(propolisId)?.instanceId
  }
}
