// Drives one saga: per node log `started`, run the action, log `succeeded` with its output (or `failed`,
// then undo the completed nodes last first), then finish the row; each step is logged before the next
// begins, so recovery can tell where to pick up. Mirrors: steno src/saga_exec.rs (a linear DAG).
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { ShortId } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { Datastore } from '../db/datastore.ts'
import type { JsonValue } from '../db/records.ts'
import type { SagaNodeEventInput } from '../db/saga-log.ts'
import { ActionFailure, actionFailureFrom, undoErrorFrom } from './saga-errors.ts'
import type { SagaCrashPoint, SagaFaultName, SagaFaults } from './saga-faults.ts'
import './saga-trace.ts'
import type { AnySagaNode, SagaContext, SagaDef, SagaNodeName, SagaOutcome, SagaOutputs, SagaStarter } from './saga-types.ts'

/** The part of the datastore the executor uses: the saga log. */
export type SagaLogStore = Pick<Datastore, 'sagaCreate' | 'sagaAppendEvent' | 'sagaFinish' | 'sagaGet' | 'sagaList'>

/** What a run needs from its executor. */
export interface SagaRunEnv<S> {
  readonly db: SagaLogStore
  readonly trace: Trace
  readonly clock: VirtualClock
  readonly faults: SagaFaults
  readonly services: S
  readonly sagas: SagaStarter<S>
  readonly repeatActions: boolean
  readonly repeatUndos: boolean
  /** Throws `NexusCrashedError` once the executor has crashed: a dead Nexus takes no further step. */
  alive(sagaId: ShortId): void
  /** Crashes the executor (a saga fault fired) and throws `NexusCrashedError`. */
  crash(reason: string): never
}

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly thrown: unknown }

/**
 * The JSON image of a value the saga itself wrote (its params, an action's output) read back as the
 * type it was written as. The log keeps only JSON, as steno's does; saga authors keep params and
 * outputs JSON-shaped, so the image is the value.
 */
function fromJson<T>(value: JsonValue): T {
  return value as unknown as T
}

export class SagaRun<P, O extends SagaOutputs, S> {
  readonly #env: SagaRunEnv<S>
  readonly #def: SagaDef<P, O, S>
  readonly #outputs: Map<string, JsonValue>
  readonly #ctx: SagaContext<P, O, S>
  readonly sagaId: ShortId

  constructor(env: SagaRunEnv<S>, def: SagaDef<P, O, S>, sagaId: ShortId, params: JsonValue, outputs: ReadonlyMap<string, JsonValue>) {
    this.#env = env
    this.#def = def
    this.sagaId = sagaId
    this.#outputs = new Map(outputs)
    const logged = this.#outputs
    this.#ctx = {
      sagaId,
      sagaName: def.name,
      params: fromJson<P>(params),
      services: env.services,
      clock: env.clock,
      trace: env.trace,
      sagas: env.sagas,
      output<N extends SagaNodeName<O>>(node: N): O[N] {
        const value = logged.get(node)
        if (value === undefined) throw new TypeError(`saga output failed: node ${node} has not succeeded (saga ${def.name} ${sagaId})`)
        return fromJson<O[N]>(value)
      },
    }
  }

  /** Runs the nodes from `from` on; `startedLogged`: that node's `started` is already in the log. */
  async forward(from: number, startedLogged: boolean): Promise<SagaOutcome<O>> {
    for (const [index, node] of this.#def.nodes.entries()) {
      if (index < from) continue
      if (!(index === from && startedLogged)) this.#log({ kind: 'started', node: node.name })
      const result = await this.#runAction(node)
      if (!result.ok) {
        const failure = actionFailureFrom(result.thrown)
        this.#log({ kind: 'failed', node: node.name, error: failure.message })
        this.#crashPoint(node.name, 'after_failed')
        const completed = this.#def.nodes.slice(0, index).map((n) => n.name).reverse()
        return this.unwind(node.name, failure, completed, false)
      }
      this.#crashPoint(node.name, 'before_succeeded')
      const record = this.#log({ kind: 'succeeded', node: node.name, output: result.value })
      // Later nodes read the logged JSON, not the live value, exactly as they would after recovery.
      const event = record.events.at(-1)
      if (event?.kind !== 'succeeded') throw new TypeError(`saga log failed: no succeeded event for ${node.name} (saga ${this.sagaId})`)
      this.#outputs.set(node.name, event.output)
      this.#crashPoint(node.name, 'after_succeeded')
    }
    this.#finish({ state: 'succeeded' })
    return { kind: 'succeeded', sagaId: this.sagaId, outputs: fromJson<O>(Object.fromEntries(this.#outputs)) }
  }

  /**
   * Undoes `toUndo` (succeeded nodes, in the order to undo them) after `failedNode` failed with
   * `failure`; `undoStartedLogged`: the first one's `undo_started` is already in the log.
   */
  async unwind(failedNode: string, failure: ActionFailure, toUndo: readonly string[], undoStartedLogged: boolean): Promise<SagaOutcome<O>> {
    for (const [index, name] of toUndo.entries()) {
      const node = this.#node(name)
      // Nothing to undo, by the saga's design; such a node leaves no undo events in the log.
      if (node.undo === null) continue
      if (!(index === 0 && undoStartedLogged)) this.#log({ kind: 'undo_started', node: name })
      const result = await this.#runUndo(name, node.undo)
      if (!result.ok) {
        const undoError = undoErrorFrom(result.thrown)
        this.#log({ kind: 'undo_failed', node: name, error: undoError.message })
        return this.stuck(failedNode, failure, name, undoError)
      }
      this.#crashPoint(name, 'before_undo_finished')
      this.#log({ kind: 'undo_finished', node: name })
      this.#crashPoint(name, 'after_undo_finished')
    }
    this.#finish({ state: 'unwound', failedNode })
    return { kind: 'unwound', sagaId: this.sagaId, failedNode, error: failure }
  }

  /** Marks the saga stuck: `undoNode`'s undo failed, so unwinding stops there for good. */
  stuck(failedNode: string, failure: ActionFailure, undoNode: string, undoError: Error): SagaOutcome<O> {
    this.#finish({ state: 'stuck', failedNode, undoFailedNode: undoNode })
    return { kind: 'stuck', sagaId: this.sagaId, failedNode, undoNode, error: failure, undoError }
  }

  async #runAction(node: AnySagaNode<P, O, S>): Promise<Attempt<unknown>> {
    const injected = this.#env.faults.takeActionFailure(this.#def.name, node.name)
    if (injected !== null) {
      this.#traceFault(node.name, 'fail_action')
      return { ok: false, thrown: injected }
    }
    const first = await this.#attempt(() => node.action(this.#ctx))
    // Idempotence mode: run it again and keep the second output, as if recovery had re-run it.
    if (!first.ok || !this.#env.repeatActions) return first
    return this.#attempt(() => node.action(this.#ctx))
  }

  async #runUndo(name: string, undo: (ctx: SagaContext<P, O, S>) => Promise<void>): Promise<Attempt<void>> {
    const injected = this.#env.faults.takeUndoFailure(this.#def.name, name)
    if (injected !== null) {
      this.#traceFault(name, 'fail_undo')
      return { ok: false, thrown: injected }
    }
    const first = await this.#attempt(() => undo(this.#ctx))
    if (!first.ok || !this.#env.repeatUndos) return first
    return this.#attempt(() => undo(this.#ctx))
  }

  // Whatever the step threw, if Nexus crashed meanwhile the step's end is never seen (so a child
  // saga's `NexusCrashedError` is never taken for the action failing).
  async #attempt<T>(step: () => Promise<T>): Promise<Attempt<T>> {
    let result: Attempt<T>
    try {
      result = { ok: true, value: await step() }
    } catch (thrown) {
      result = { ok: false, thrown }
    }
    this.#env.alive(this.sagaId)
    return result
  }

  #crashPoint(node: string, at: SagaCrashPoint): void {
    if (!this.#env.faults.takeCrash(this.#def.name, node, at)) return
    this.#traceFault(node, `crash_${at}`)
    this.#env.crash(`sagaFaults.crashNexusAfter ${this.#def.name}/${node} ${at}`)
  }

  #log(input: SagaNodeEventInput) {
    this.#env.alive(this.sagaId)
    const record = this.#env.db.sagaAppendEvent(this.sagaId, input)
    const error = input.kind === 'failed' || input.kind === 'undo_failed' ? { error: input.error } : {}
    this.#env.trace.record('saga.node', { saga: this.sagaId, name: this.#def.name, node: input.node, event: input.kind, ...error })
    return record
  }

  #finish(finish: Parameters<SagaLogStore['sagaFinish']>[1]): void {
    this.#env.alive(this.sagaId)
    this.#env.db.sagaFinish(this.sagaId, finish)
    const failed = finish.state === 'succeeded' ? {} : { failed_node: finish.failedNode }
    const undo = finish.state === 'stuck' ? { undo_node: finish.undoFailedNode } : {}
    this.#env.trace.record('saga.finished', { saga: this.sagaId, name: this.#def.name, outcome: finish.state, ...failed, ...undo })
  }

  #traceFault(node: string, fault: SagaFaultName): void {
    this.#env.trace.record('fault.saga', { saga: this.sagaId, name: this.#def.name, node, fault })
  }

  #node(name: string): AnySagaNode<P, O, S> {
    const node = this.#def.nodes.find((n) => n.name === name)
    if (node === undefined) throw new TypeError(`saga run failed: saga ${this.#def.name} has no node ${name}`)
    return node
  }
}
