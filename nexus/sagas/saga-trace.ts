// The trace events of the saga executor: one line when a saga starts, resumes or finishes, one per
// node event as it is logged, and the faults and crashes that changed a saga's course.
import type { SagaNodeEventKind, SagaState } from '../db/records.ts'
import type { SagaFaultName } from './saga-faults.ts'

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    /** A saga's row was created; `saga` is its id, `name` the saga's name, `instance` its subject if it has one. */
    'saga.started': { readonly saga: string; readonly name: string; readonly instance?: string }
    /** A restarted executor took over a running saga; `node` is the step it resumes at, if any. */
    'saga.resumed': {
      readonly saga: string
      readonly name: string
      readonly instance?: string
      readonly phase: 'forward' | 'unwinding' | 'stuck'
      readonly node?: string
    }
    /** A node event, written right after the saga log has it. */
    'saga.node': { readonly saga: string; readonly name: string; readonly node: string; readonly event: SagaNodeEventKind; readonly error?: string }
    /** How the saga ended; `failed_node` for unwound and stuck, `undo_node` for stuck. */
    'saga.finished': {
      readonly saga: string
      readonly name: string
      readonly outcome: Exclude<SagaState, 'running'>
      readonly failed_node?: string
      readonly undo_node?: string
    }
    /** A saga fault fired at this node. */
    'fault.saga': { readonly saga: string; readonly name: string; readonly node: string; readonly fault: SagaFaultName }
    /** The saga executor stopped; `sagas` were running and stay `running` in the log. */
    'nexus.crashed': { readonly reason: string; readonly sagas: readonly string[] }
  }
}

export {}
