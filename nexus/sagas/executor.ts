// `SagaExecutor`: runs sagas in the foreground or background over the saga log, crashes when a fault
// or the testbed says Nexus died, and, built fresh over the same store, recovers what a crashed one
// left running. Mirrors: omicron nexus/src/app/saga.rs and nexus/saga-recovery@b848b6d.
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { IdSource, ShortId } from '../../sim/kernel/ids.ts'
import type { Trace } from '../../sim/kernel/trace.ts'
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { SagaRecord, SagaState } from '../db/records.ts'
import { SagaRun, type SagaLogStore, type SagaRunEnv } from './executor-run.ts'
import { ActionFailure, NexusCrashedError } from './saga-errors.ts'
import type { SagaFaults } from './saga-faults.ts'
import { SagaRegistry, SagaRegistryError } from './saga-registry.ts'
import { sagaResumePoint } from './saga-replay.ts'
import './saga-trace.ts'
import type { SagaDef, SagaOutcome, SagaOutputs, SagaStarter, SpawnedSaga } from './saga-types.ts'

export type { SagaLogStore }

export interface SagaExecutorOptions<S> {
  /** The saga log lives here; a restarted executor is given the same store. */
  readonly db: SagaLogStore
  readonly trace: Trace
  readonly clock: VirtualClock
  /** Saga ids come from `ids.shortId()`. */
  readonly ids: IdSource
  /** Handed to every action and undo as `ctx.services`. */
  readonly services: S
  readonly faults: SagaFaults
  /** Shared with the executor that replaces this one after a crash; `run` registers what it runs. */
  readonly registry?: SagaRegistry<S>
  /** Runs every action twice (keeping the second output), to prove actions idempotent. */
  readonly repeatActions?: boolean
  /** Runs every undo twice, to prove undos idempotent. */
  readonly repeatUndos?: boolean
  /**
   * Called once when the executor crashes, whatever crashed it (`crash()` or a saga fault), after
   * the crash is traced; Nexus takes the rest of itself down with it.
   */
  readonly onCrash?: (reason: string) => void
}

/** A saga `recover()` carried to its end. */
export interface RecoveredSaga {
  readonly sagaId: ShortId
  readonly name: string
  readonly outcome: SagaOutcome<SagaOutputs>
}

// Simplification: one Nexus; no other Nexus adopts the sagas of a dead one, and recovery is a call
// the restarted Nexus makes rather than a background task.
export class SagaExecutor<S> implements SagaStarter<S> {
  readonly registry: SagaRegistry<S>
  readonly #options: SagaExecutorOptions<S>
  readonly #env: SagaRunEnv<S>
  // The sagas this executor is driving now; a crash rejects all their promises at once.
  readonly #driving = new Set<ShortId>()
  readonly #crashSignal: Promise<never>
  #crashed: { readonly reason: string } | null = null
  #rejectAll: (error: NexusCrashedError) => void = () => {}

  constructor(options: SagaExecutorOptions<S>) {
    this.#options = options
    this.registry = options.registry ?? new SagaRegistry<S>()
    this.#crashSignal = new Promise<never>((_resolve, reject) => {
      this.#rejectAll = reject
    })
    // Only the sagas' own promises report the crash; this one is never awaited on its own.
    this.#crashSignal.catch(() => {})
    this.#env = {
      db: options.db,
      trace: options.trace,
      clock: options.clock,
      faults: options.faults,
      services: options.services,
      sagas: this,
      repeatActions: options.repeatActions ?? false,
      repeatUndos: options.repeatUndos ?? false,
      alive: (sagaId) => {
        if (this.#crashed !== null) throw new NexusCrashedError(`saga ${sagaId} stopped: nexus crashed (${this.#crashed.reason})`)
      },
      crash: (reason) => {
        this.crash(reason)
        throw new NexusCrashedError(`nexus crashed: ${reason}`)
      },
    }
  }

  /** True once the executor has crashed; it then refuses all work. */
  get crashed(): boolean {
    return this.#crashed !== null
  }

  /**
   * Runs `def` to its end. Resolves with the outcome (an unwound or stuck saga is an outcome, not a
   * rejection); rejects with `NexusCrashedError` as soon as the executor crashes, and at once if it
   * already has.
   */
  run<P, O extends SagaOutputs>(def: SagaDef<P, O, S>, params: P): Promise<SagaOutcome<O>> {
    try {
      return this.#start(def, params).done
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * Starts `def` in the background and returns its id at once (its row is already in the log).
   * Throws `NexusCrashedError` if the executor has crashed.
   */
  spawn<P, O extends SagaOutputs>(def: SagaDef<P, O, S>, params: P): SpawnedSaga<O> {
    const started = this.#start(def, params)
    // Fire and forget: nobody may ever look at a background saga's promise.
    started.done.catch(() => {})
    return started
  }

  /** The saga's state in the log (`running` until it finishes, also while unwinding); null if unknown. */
  sagaState(sagaId: ShortId): SagaState | null {
    return this.#options.db.sagaGet(sagaId)?.state ?? null
  }

  /** True when the saga has finished (succeeded, unwound or stuck); false while running or if unknown. */
  isDone(sagaId: ShortId): boolean {
    const state = this.sagaState(sagaId)
    return state !== null && state !== 'running'
  }

  /** The sagas this executor is driving, in the order they started. */
  running(): ShortId[] {
    return [...this.#driving]
  }

  /**
   * Nexus dies: the executor takes no further step in any saga (an action already in flight runs to
   * its end, but its end is never logged), every pending saga promise rejects with
   * `NexusCrashedError`, and all later work is refused. The log keeps every saga `running`.
   */
  // Simplification: a real process dies mid-action; here an action in flight keeps going (its effects
  // land, like a request the dead Nexus had already sent) but the executor never logs its end.
  crash(reason = 'nexus.crash()'): void {
    if (this.#crashed !== null) return
    this.#crashed = { reason }
    this.#options.trace.record('nexus.crashed', { reason, sagas: [...this.#driving] })
    this.#rejectAll(new NexusCrashedError(`nexus crashed: ${reason}`))
    this.#options.onCrash?.(reason)
  }

  /**
   * A restarted Nexus's saga recovery: resumes every `running` saga in the log that this executor is
   * not already driving, all at once in creation order, and resolves with each one's outcome. A saga
   * whose name is not registered is an error, reported before any saga is resumed.
   */
  async recover(): Promise<RecoveredSaga[]> {
    this.#refuseIfCrashed('saga recovery')
    const records = this.#options.db.sagaList({ state: 'running' }).filter((r) => !this.#driving.has(r.id))
    const unknown = records.filter((r) => !this.registry.has(r.name)).map((r) => `${r.name} (${r.id})`)
    if (unknown.length > 0) throw new SagaRegistryError(`saga recovery failed: no saga registered for ${unknown.join(', ')}`)
    const resumed = records.map((record) => this.#track(record.id, this.#resume(record)))
    const outcomes = await Promise.all(resumed)
    return records.map((record, i) => {
      const outcome = outcomes[i]
      if (outcome === undefined) throw new TypeError(`saga recovery failed: no outcome for ${record.id}`)
      return { sagaId: record.id, name: record.name, outcome }
    })
  }

  #start<P, O extends SagaOutputs>(def: SagaDef<P, O, S>, params: P): SpawnedSaga<O> {
    this.#refuseIfCrashed(`saga ${def.name}`)
    this.registry.register(def)
    const subject = subjectOf(def, params)
    const sagaId = this.#options.ids.shortId()
    const record = this.#options.db.sagaCreate({ id: sagaId, name: def.name, params })
    this.#options.trace.record('saga.started', { saga: sagaId, name: def.name, ...subject })
    const saga = new SagaRun(this.#env, def, sagaId, record.params, new Map())
    return { sagaId, done: this.#track(sagaId, saga.forward(0, false)) }
  }

  #resume(record: SagaRecord): Promise<SagaOutcome<SagaOutputs>> {
    return this.registry.open(record.name, <P, O extends SagaOutputs>(def: SagaDef<P, O, S>): Promise<SagaOutcome<SagaOutputs>> => {
      const point = sagaResumePoint(def.name, def.nodes.map((n) => n.name), record.events)
      const saga = new SagaRun(this.#env, def, record.id, record.params, point.outputs)
      // The log holds the params' JSON image, which is what the saga itself reads back too.
      const subject = subjectOf(def, record.params as unknown as P)
      const { trace } = this.#options
      switch (point.phase) {
        case 'forward': {
          const node = def.nodes[point.nextNode]?.name
          trace.record('saga.resumed', { saga: record.id, name: def.name, ...subject, phase: 'forward', ...(node === undefined ? {} : { node }) })
          return saga.forward(point.nextNode, point.startedLogged)
        }
        case 'unwinding': {
          const node = point.toUndo[0]
          trace.record('saga.resumed', { saga: record.id, name: def.name, ...subject, phase: 'unwinding', ...(node === undefined ? {} : { node }) })
          return saga.unwind(point.failedNode, recoveredFailure(point.error), point.toUndo, point.undoStartedLogged)
        }
        case 'stuck':
          trace.record('saga.resumed', { saga: record.id, name: def.name, ...subject, phase: 'stuck', node: point.undoNode })
          return Promise.resolve(saga.stuck(point.failedNode, recoveredFailure(point.error), point.undoNode, new Error(point.undoError)))
        default:
          return assertNever(point, 'saga resume point')
      }
    })
  }

  // The saga's promise as callers see it: its own end, or the crash, whichever comes first.
  #track<T>(sagaId: ShortId, work: Promise<T>): Promise<T> {
    this.#driving.add(sagaId)
    const untrack = () => {
      this.#driving.delete(sagaId)
    }
    work.then(untrack, untrack)
    return Promise.race([work, this.#crashSignal])
  }

  #refuseIfCrashed(what: string): void {
    if (this.#crashed !== null) throw new NexusCrashedError(`${what} refused: nexus crashed (${this.#crashed.reason})`)
  }
}

/** The `instance` field of a saga's trace events, when its definition names one. */
function subjectOf<P, O extends SagaOutputs, S>(def: SagaDef<P, O, S>, params: P): { instance?: string } {
  return def.instanceOf === undefined ? {} : { instance: def.instanceOf(params) }
}

// Simplification: the log keeps only the message, so a recovered failure has no API error to surface;
// its caller was the crashed Nexus anyway.
/** A failure known only from the log (its message), for a saga that unwinds after recovery. */
function recoveredFailure(message: string): ActionFailure {
  return new ActionFailure(message)
}
