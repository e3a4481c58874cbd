// The shape of a saga as its author writes it: plain data (a name and nodes in execution order, each
// action followed by its undo) over a narrow context, and the outcomes the executor returns.
// Mirrors: steno's SagaDag / ActionContext as omicron uses them (nexus/src/app/sagas/mod.rs)@b848b6d.
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { ShortId } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import type { JsonValue } from '../db/records.ts'
import type { ActionFailure } from './saga-errors.ts'

export type { JsonValue }

/**
 * What each node outputs, by node name: a saga declares it as an interface, e.g.
 * `{ 'alloc-server': SledUuid; 'ensure-running': null }`. Outputs must be JSON-shaped (no `undefined`,
 * no class instances): they are stored in the saga log and later nodes read them back from there.
 */
export type SagaOutputs = object

/** The outputs of a saga that declares none: any node name, any JSON. */
export interface UntypedOutputs {
  readonly [node: string]: JsonValue
}

/** The node names of an outputs map. */
export type SagaNodeName<O extends SagaOutputs> = keyof O & string

/**
 * What an action or undo sees. It is narrow on purpose (omicron's sagas/mod.rs asks the same): the
 * saga's params, earlier outputs, and the services the executor was built with; no handle to Nexus.
 */
export interface SagaContext<P, O extends SagaOutputs = UntypedOutputs, S = unknown> {
  readonly sagaId: ShortId
  readonly sagaName: string
  /** The params as the saga log stores them (their JSON image), in a first run and after recovery alike. */
  readonly params: P
  /** Whatever the executor was constructed with: the datastore, clients, and so on. */
  readonly services: S
  readonly clock: VirtualClock
  readonly trace: Trace
  // Simplification: steno nests a subsaga in its parent's log; here a child is a saga of its own.
  /** Starts other sagas on the same executor (the "second stage" of instance-update, chaining). */
  readonly sagas: SagaStarter<S>
  /** The logged output of an earlier node (or, in an undo, of the node being undone); throws if that node has not succeeded. */
  output<N extends SagaNodeName<O>>(node: N): O[N]
}

/** One step: an idempotent action and, unless there is nothing to undo, its idempotent undo. */
export interface SagaNode<P, O extends SagaOutputs, S, N extends SagaNodeName<O>> {
  readonly name: N
  /** Throws `ActionFailure` (or a `NexusApiError`) to fail the node; anything else thrown also fails it. */
  readonly action: (ctx: SagaContext<P, O, S>) => Promise<O[N]>
  /** `null` on purpose only, with a comment at the node saying why. A throw leaves the saga stuck. */
  readonly undo: ((ctx: SagaContext<P, O, S>) => Promise<void>) | null
}

/** Any node of a saga: the union over its node names, so `name` picks the action's output type. */
export type AnySagaNode<P, O extends SagaOutputs, S> = { [N in SagaNodeName<O>]: SagaNode<P, O, S, N> }[SagaNodeName<O>]

// Simplification: nodes form a chain, not steno's DAG, so parallel nodes (instance-start's
// ENSURE_LOCAL_STORAGE_0..11) run one after another; the log and the unwinding order are the same.
/** A saga definition. `name` is how the saga log (and so recovery) finds it; node names are unique. */
export interface SagaDef<P, O extends SagaOutputs = UntypedOutputs, S = unknown> {
  readonly name: string
  /** In execution order; each runs after the previous one succeeded. */
  readonly nodes: readonly AnySagaNode<P, O, S>[]
  /** The instance the saga is about, read from its params; the trace names it on `saga.started`. */
  readonly instanceOf?: (params: P) => string
}

/** How a saga ended. */
export type SagaOutcome<O extends SagaOutputs = UntypedOutputs> =
  /** Every node succeeded; `outputs` are the logged outputs by node name. */
  | { readonly kind: 'succeeded'; readonly sagaId: ShortId; readonly outputs: O }
  /** `failedNode`'s action failed with `error` and every completed node's undo ran, last first. */
  | { readonly kind: 'unwound'; readonly sagaId: ShortId; readonly failedNode: string; readonly error: ActionFailure }
  /**
   * While unwinding from `failedNode` (which failed with `error`), `undoNode`'s undo threw `undoError`;
   * unwinding stopped there and the undos of earlier nodes never ran.
   */
  | {
      readonly kind: 'stuck'
      readonly sagaId: ShortId
      readonly failedNode: string
      readonly undoNode: string
      readonly error: ActionFailure
      readonly undoError: Error
    }

export type SagaOutcomeKind = SagaOutcome['kind']

/** A saga started in the background. */
export interface SpawnedSaga<O extends SagaOutputs = UntypedOutputs> {
  readonly sagaId: ShortId
  /** Settles like `run`'s promise; a rejection left unobserved is not reported as unhandled. */
  readonly done: Promise<SagaOutcome<O>>
}

/** What a saga may do with the executor that runs it. */
export interface SagaStarter<S> {
  run<P, O extends SagaOutputs>(def: SagaDef<P, O, S>, params: P): Promise<SagaOutcome<O>>
  spawn<P, O extends SagaOutputs>(def: SagaDef<P, O, S>, params: P): SpawnedSaga<O>
}
