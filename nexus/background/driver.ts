// The background task driver: activates each task on its period on the virtual clock and on demand,
// never runs two activations of one task at once (an activation asked for meanwhile runs once more
// after it), and records every status. Tasks take no input and never throw; they return a status.
// Mirrors: omicron nexus/src/app/background/driver.rs@b848b6d.
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import type { TraceValue, Trace } from '../../sim/kernel/trace.ts'

/** A JSON status, as omicron's tasks report theirs. */
export type TaskStatus = { readonly [key: string]: TraceValue }

export interface BackgroundTask {
  readonly name: string
  activate(): Promise<TaskStatus>
}

declare module '../../sim/kernel/trace.ts' {
  interface TraceEventMap {
    'task.activated': { readonly task: string; readonly reason: 'period' | 'on_demand' }
    'task.finished': { readonly task: string; readonly status: TaskStatus }
  }
}

interface TaskState {
  readonly task: BackgroundTask
  readonly periodMs: number
  running: Promise<TaskStatus> | null
  /** An activation was asked for while one ran (and why): run once more afterwards. */
  again: 'period' | 'on_demand' | null
  last: TaskStatus | null
  timer: ReturnType<VirtualClock['setTimeout']> | null
}

export class BackgroundDriver {
  readonly #clock: VirtualClock
  readonly #trace: Trace
  readonly #tasks = new Map<string, TaskState>()
  #stopped = false

  constructor(clock: VirtualClock, trace: Trace) {
    this.#clock = clock
    this.#trace = trace
  }

  /** Adds a task, first activated one period from now. */
  register(task: BackgroundTask, periodMs: number): void {
    if (this.#tasks.has(task.name)) throw new Error(`register task failed: ${task.name} is already registered`)
    const state: TaskState = { task, periodMs, running: null, again: null, last: null, timer: null }
    this.#tasks.set(task.name, state)
    this.#schedule(state)
  }

  /** Activates a task now and resolves with the status of the activation that includes this request. */
  activate(name: string): Promise<TaskStatus> {
    const state = this.#tasks.get(name)
    if (state === undefined) throw new Error(`activate failed: no background task named ${name}`)
    return this.#activate(state, 'on_demand')
  }

  lastStatus(name: string): TaskStatus | null {
    return this.#tasks.get(name)?.last ?? null
  }

  /** Stops every period (Nexus died); activations in flight finish on their own. */
  stop(): void {
    this.#stopped = true
    for (const state of this.#tasks.values()) if (state.timer !== null) this.#clock.clearTimeout(state.timer)
  }

  #schedule(state: TaskState): void {
    if (this.#stopped) return
    state.timer = this.#clock.setTimeout(() => {
      state.timer = null
      void this.#activate(state, 'period').then(() => this.#schedule(state))
    }, state.periodMs)
  }

  async #activate(state: TaskState, reason: 'period' | 'on_demand'): Promise<TaskStatus> {
    if (state.running !== null) {
      // Coalesce: the running activation is followed by exactly one more, which this caller awaits.
      // An on-demand request outranks a period tick as the reason traced for the re-run.
      state.again = state.again === 'on_demand' ? 'on_demand' : reason
      return state.running
    }
    const run = (async (): Promise<TaskStatus> => {
      let status: TaskStatus
      let why = reason
      for (;;) {
        state.again = null
        this.#trace.record('task.activated', { task: state.task.name, reason: why })
        status = await state.task.activate()
        state.last = status
        this.#trace.record('task.finished', { task: state.task.name, status })
        if (state.again === null) return status
        why = state.again
      }
    })()
    state.running = run
    try {
      return await run
    } finally {
      state.running = null
    }
  }
}
