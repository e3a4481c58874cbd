// `InstanceUpdateRunner`: how Nexus runs instance-update sagas for the state intake, in the
// background (`notify_vmm_updated`) or to their end (`mark_vmm_failed`, the instance watcher), with
// the backstop: whenever a saga cannot start or fails, the instance-updater task is activated.
// Mirrors: omicron nexus/src/app/instance.rs@b848b6d (`notify_vmm_updated`, `mark_vmm_failed`).
import { typedUuid, type InstanceUuid } from '../../sim/kernel/ids.ts'
import type { Trace, TraceEvent } from '../../sim/kernel/trace.ts'
import type { SagaExecutor } from '../sagas/executor.ts'
import { instanceUpdateSaga } from '../sagas/instance-update.ts'
import { startInstanceUpdateSaga } from '../sagas/instance-update-start.ts'
import { NexusCrashedError } from '../sagas/saga-errors.ts'
import type { NexusSagaServices } from '../sagas/saga-services.ts'
import type { SagaOutcome, SagaOutputs } from '../sagas/saga-types.ts'
import { requestActivation } from '../sagas/update-lock.ts'
import type { InstanceUpdates } from './vmm-intake.ts'

export interface InstanceUpdateRunnerOptions {
  /**
   * The executor the sagas run on. A function, so Nexus can build the runner (which its intake,
   * and so its saga services, need) before the executor.
   */
  readonly executor: () => SagaExecutor<NexusSagaServices>
  /** Where the sagas record their activation requests; the runner forwards them to the callbacks. */
  readonly trace: Trace
  /** Activates the instance-updater background task (the saga could not start, or failed). */
  readonly onBackstop: (instanceId: InstanceUuid) => void
  /** Activates the instance-reincarnation task (an update left the instance to be restarted). */
  readonly onReincarnation?: (instanceId: InstanceUuid) => void
}

/** How `run` ended; only the concrete runner says (the `InstanceUpdates` interface returns nothing). */
export type InstanceUpdateRunResult =
  /** The start saga succeeded; that includes finding the lock taken, and a real saga that failed. */
  | { readonly kind: 'succeeded'; readonly sagaId: string }
  /** The start saga unwound or got stuck. */
  | { readonly kind: 'saga_failed'; readonly sagaId: string; readonly error: string }
  | { readonly kind: 'not_started'; readonly error: string }

export class InstanceUpdateRunner implements InstanceUpdates {
  readonly #options: InstanceUpdateRunnerOptions
  readonly #inFlight = new Set<Promise<unknown>>()
  readonly #unsubscribe: () => void

  constructor(options: InstanceUpdateRunnerOptions) {
    this.#options = options
    this.#unsubscribe = options.trace.subscribe((event) => this.#forward(event))
  }

  /** `notify_vmm_updated`: starts the update saga and returns at once. */
  spawn(instanceId: InstanceUuid): void {
    let done: Promise<SagaOutcome<SagaOutputs>>
    try {
      done = this.#executor().spawn(startInstanceUpdateSaga, { instanceId }).done
    } catch (error) {
      this.#notStarted(instanceId, error)
      return
    }
    const watched = done.then(
      (outcome) => this.#ended(instanceId, outcome),
      // A crash: nobody is left to activate anything.
      () => {},
    )
    this.#inFlight.add(watched)
    void watched.finally(() => this.#inFlight.delete(watched))
  }

  /**
   * `mark_vmm_failed` and the watcher: runs the update saga to its end. A saga that fails or cannot
   * start is not an error for the caller (omicron only logs it), so this resolves either way, saying
   * which (the instance-updater task counts `saga_failed` as an error); a Nexus crash rejects.
   */
  async run(instanceId: InstanceUuid): Promise<void> {
    await this.runWithResult(instanceId)
  }

  /** `run`, saying how the saga ended. */
  async runWithResult(instanceId: InstanceUuid): Promise<InstanceUpdateRunResult> {
    let outcome: SagaOutcome<SagaOutputs>
    try {
      outcome = await this.#executor().run(startInstanceUpdateSaga, { instanceId })
    } catch (error) {
      if (error instanceof NexusCrashedError) throw error
      this.#notStarted(instanceId, error)
      return { kind: 'not_started', error: error instanceof Error ? error.message : String(error) }
    }
    this.#ended(instanceId, outcome)
    return outcome.kind === 'succeeded' ? { kind: 'succeeded', sagaId: outcome.sagaId } : { kind: 'saga_failed', sagaId: outcome.sagaId, error: outcome.error.message }
  }

  /** Resolves once every saga `spawn` started has ended (for tests and settling). */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight])
  }

  /** Stops forwarding activation requests (the Nexus this runner belongs to is gone). */
  dispose(): void {
    this.#unsubscribe()
  }

  // Both sagas are registered up front, so a restarted executor sharing the registry can resume a
  // real saga even if this one never ran one.
  #executor(): SagaExecutor<NexusSagaServices> {
    const executor = this.#options.executor()
    executor.registry.register(startInstanceUpdateSaga)
    executor.registry.register(instanceUpdateSaga)
    return executor
  }

  #notStarted(instanceId: InstanceUuid, error: unknown): void {
    // A dead Nexus activates nothing.
    if (error instanceof NexusCrashedError) return
    const reason = error instanceof Error ? error.message : String(error)
    requestActivation(this.#options.trace, instanceId, 'instance_updater', `could not start an update saga: ${reason}`)
  }

  #ended(instanceId: InstanceUuid, outcome: SagaOutcome<SagaOutputs>): void {
    if (outcome.kind === 'succeeded') return
    requestActivation(this.#options.trace, instanceId, 'instance_updater', `update saga ${outcome.sagaId} ${outcome.kind} at ${outcome.failedNode}`)
  }

  // Every activation, the runner's own and the sagas', goes through the trace, so a timeline shows
  // each one. The callback runs after the current step, never inside a saga's action.
  #forward(event: TraceEvent): void {
    if (event.kind !== 'instance_update.activation_requested') return
    const executor = this.#options.executor()
    if (executor.crashed) return
    const instanceId = typedUuid('instance', event.instance)
    const callback = event.task === 'instance_updater' ? this.#options.onBackstop : this.#options.onReincarnation
    if (callback !== undefined) void Promise.resolve().then(() => callback(instanceId))
  }
}
