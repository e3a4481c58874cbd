// Generic saga harnesses for every saga's tests: fail at each node and check the unwind, run actions
// and undos twice and compare, crash at every step and check recovery ends the same. Mirrors: omicron
// nexus/src/app/sagas/test_helpers.rs@b848b6d (action_failure_can_unwind, actions_succeed_idempotently).
import { expect } from 'vitest'
import { SagaExecutor, type SagaLogStore } from '../../../nexus/sagas/executor.ts'
import { NexusCrashedError } from '../../../nexus/sagas/saga-errors.ts'
import { SagaFaults, type SagaCrashPoint } from '../../../nexus/sagas/saga-faults.ts'
import { SagaRegistry } from '../../../nexus/sagas/saga-registry.ts'
import type { SagaRecord } from '../../../nexus/db/records.ts'
import type { SagaDef, SagaOutcome, SagaOutputs } from '../../../nexus/sagas/saga-types.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { assertNever } from '../../../sim/kernel/assert-never.ts'
import { IdSource } from '../../../sim/kernel/ids.ts'
import { Rng } from '../../../sim/kernel/rng.ts'
import { Trace } from '../../../sim/kernel/trace.ts'

/** How a run the harness made ended, as `check` is told. */
export type SagaEnding =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'unwound'; readonly failedNode: string }
  /** Only when the saga ends stuck without a crash too (an undo of the world's own fails). */
  | { readonly kind: 'stuck'; readonly failedNode: string; readonly undoNode: string }

/** One fresh, independent world for one run of the saga under test. */
export interface SagaTestWorld<P, S, Snap> {
  /** Holds the saga log; the executor that recovers after a crash is given the same one. */
  readonly db: SagaLogStore
  /** Given to the executor (and, after a crash, to its replacement): they outlive Nexus. */
  readonly services: S
  readonly params: P
  /** Defaults: a fresh clock, trace and seeded id stream per world. */
  readonly clock?: VirtualClock
  readonly trace?: Trace
  readonly ids?: IdSource
  /**
   * The end state runs are compared by (`toEqual`). Leave out what legitimately differs between two
   * correct runs, such as ids an action draws (running it twice draws twice) and the saga log itself.
   */
  snapshot(): Snap
  /** Throws if the world is wrong after a run ended this way (nothing leaked, say). */
  check?(ending: SagaEnding): void
  /** Brings saga work to its end, e.g. by advancing the virtual clock; default: awaits it. */
  drive?<T>(work: Promise<T>): Promise<T>
  /** Called once the harness is done with the world (stop interception, say). */
  dispose?(): void | Promise<void>
}

export type SagaWorldSetup<P, S, Snap> = () => SagaTestWorld<P, S, Snap> | Promise<SagaTestWorld<P, S, Snap>>

/** The runs a harness made, one line each, so a test can see what was covered. */
export interface SagaHarnessReport {
  readonly runs: readonly string[]
}

interface RunOptions {
  readonly faults?: SagaFaults
  readonly repeat?: boolean
}

/** What a finished run left, read before its world is disposed. */
interface Finished<Snap> {
  readonly ending: SagaEnding
  /** The failure's message, for assertion messages. */
  readonly error: string | null
  readonly log: SagaRecord | null
  readonly snapshot: Snap
}

/**
 * Fails each node in turn (`SagaFaults.failAt`), after a clean run that must succeed. Each run must end
 * `unwound` at that node, having undone exactly the completed nodes with an undo, last first, and the
 * world's `check` must hold.
 */
export async function expectUnwindsFromEveryNode<P, O extends SagaOutputs, S, Snap>(def: SagaDef<P, O, S>, setup: SagaWorldSetup<P, S, Snap>): Promise<SagaHarnessReport> {
  const runs: string[] = []
  expectEnding(await runOnce(def, setup, 'a run without faults', {}), { kind: 'succeeded' }, 'a run without faults')
  runs.push('no fault')
  for (const [index, node] of def.nodes.entries()) {
    const label = `failing at ${node.name}`
    const faults = new SagaFaults()
    const fault = faults.failAt(def.name, node.name)
    const run = await runOnce(def, setup, label, { faults })
    expect(fault.fired, `${label}: the fault never fired`).toBe(1)
    expectEnding(run, { kind: 'unwound', failedNode: node.name }, label)
    expect({ state: run.log?.state, failedNode: run.log?.failedNode }, `${label}: the saga log`).toEqual({ state: 'unwound', failedNode: node.name })
    const undone = (run.log?.events ?? []).filter((e) => e.kind === 'undo_finished').map((e) => e.node)
    const undoable = def.nodes.slice(0, index).filter((n) => n.undo !== null).map((n) => n.name).reverse()
    expect(undone, `${label}: the undos that ran, in order`).toEqual(undoable)
    runs.push(label)
  }
  return { runs }
}

/**
 * Runs the saga normally and with every action run twice, and compares the end states; with `undos`
 * (the default), also fails each node in turn with every action and undo run twice and compares the
 * end state with the same failure run normally.
 */
export async function expectActionsIdempotent<P, O extends SagaOutputs, S, Snap>(
  def: SagaDef<P, O, S>,
  setup: SagaWorldSetup<P, S, Snap>,
  options: { readonly undos?: boolean } = {},
): Promise<SagaHarnessReport> {
  const runs: string[] = []
  const once = await runOnce(def, setup, 'a run without faults', {})
  const twice = await runOnce(def, setup, 'a run with every action twice', { repeat: true })
  expectEnding(once, { kind: 'succeeded' }, 'a run without faults')
  expectEnding(twice, { kind: 'succeeded' }, 'a run with every action twice')
  expect(twice.snapshot, 'the end state with every action run twice').toEqual(once.snapshot)
  runs.push('every action twice')
  if (options.undos === false) return { runs }
  for (const node of def.nodes) {
    const label = `failing at ${node.name} with every action and undo twice`
    const normal = await runOnce(def, setup, `failing at ${node.name}`, { faults: failingAt(def.name, node.name) })
    const repeated = await runOnce(def, setup, label, { faults: failingAt(def.name, node.name), repeat: true })
    expectEnding(normal, { kind: 'unwound', failedNode: node.name }, `failing at ${node.name}`)
    expectEnding(repeated, { kind: 'unwound', failedNode: node.name }, label)
    expect(repeated.snapshot, `${label}: the end state`).toEqual(normal.snapshot)
    runs.push(label)
  }
  return { runs }
}

/**
 * Crashes Nexus at every step a run takes (before and after each `succeeded`, after the `failed`, and
 * before and after each `undo_finished` of the run failing at each node), recovers on a fresh
 * executor over the same store and services, and expects the same ending and end state as the run
 * without a crash. With `unwinding: false`, only the steps of the successful run.
 */
export async function expectCrashRecoveryEverywhere<P, O extends SagaOutputs, S, Snap>(
  def: SagaDef<P, O, S>,
  setup: SagaWorldSetup<P, S, Snap>,
  options: { readonly unwinding?: boolean } = {},
): Promise<SagaHarnessReport> {
  const runs: string[] = []
  const baselines: { readonly failAt: string | null; readonly run: Finished<Snap> }[] = [{ failAt: null, run: await runOnce(def, setup, 'a run without faults', {}) }]
  if (options.unwinding !== false) {
    for (const node of def.nodes) baselines.push({ failAt: node.name, run: await runOnce(def, setup, `failing at ${node.name}`, { faults: failingAt(def.name, node.name) }) })
  }
  for (const { failAt, run } of baselines) {
    // The crash points are the steps the run without a crash took; with a failure injected, only
    // those from the failure on (the ones before it are the clean run's).
    for (const step of crashPointsOf(run.log?.events ?? [], failAt !== null)) {
      const label = `${failAt === null ? '' : `failing at ${failAt}, `}crash ${step.at} ${step.node}`
      const faults = failAt === null ? new SagaFaults() : failingAt(def.name, failAt)
      const crash = faults.crashNexusAfter(def.name, step.node, { at: step.at })
      await withWorld(setup, async (world) => {
        const first = executorFor(world, faults, new SagaRegistry<S>(), false)
        const crashed = await settle(drive(world, first.run(def, world.params)))
        expect(crash.fired, `${label}: the crash never fired`).toBe(1)
        expect(crashed.ok ? 'resolved' : crashed.error, `${label}: the first run`).toBeInstanceOf(NexusCrashedError)
        const second = executorFor(world, faults, first.registry, false)
        const recovered = await drive(world, second.recover())
        expect(recovered.map((r) => r.name), `${label}: the sagas recovered`).toEqual([def.name])
        const outcome = recovered[0]?.outcome
        expect(outcome === undefined ? undefined : endingOf(outcome), `${label}: the ending after recovery`).toEqual(run.ending)
        expect(world.db.sagaList({ state: 'running' }), `${label}: sagas left running`).toEqual([])
        expect(world.snapshot(), `${label}: the end state after recovery`).toEqual(run.snapshot)
        checkWorld(world, run.ending, label)
      })
      runs.push(label)
    }
  }
  return { runs }
}

/** Runs the saga once in a fresh world, checks the world, and returns what it left. */
function runOnce<P, O extends SagaOutputs, S, Snap>(def: SagaDef<P, O, S>, setup: SagaWorldSetup<P, S, Snap>, label: string, options: RunOptions): Promise<Finished<Snap>> {
  return withWorld(setup, async (world) => {
    const executor = executorFor(world, options.faults ?? new SagaFaults(), new SagaRegistry<S>(), options.repeat ?? false)
    const outcome = await drive(world, executor.run(def, world.params))
    const ending = endingOf(outcome)
    checkWorld(world, ending, label)
    return { ending, error: outcome.kind === 'succeeded' ? null : outcome.error.message, log: world.db.sagaGet(outcome.sagaId), snapshot: world.snapshot() }
  })
}

function checkWorld<P, S, Snap>(world: SagaTestWorld<P, S, Snap>, ending: SagaEnding, label: string): void {
  try {
    world.check?.(ending)
  } catch (error) {
    throw new Error(`${label}: the world check failed after the saga ${ending.kind}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

async function withWorld<P, S, Snap, T>(setup: SagaWorldSetup<P, S, Snap>, use: (world: SagaTestWorld<P, S, Snap>) => Promise<T>): Promise<T> {
  const world = await setup()
  try {
    return await use(world)
  } finally {
    await world.dispose?.()
  }
}

// Worlds without their own clock, trace or ids get one each, kept for the world's second executor.
const defaults = new WeakMap<object, { clock: VirtualClock; trace: Trace; ids: IdSource }>()

function executorFor<P, S, Snap>(world: SagaTestWorld<P, S, Snap>, faults: SagaFaults, registry: SagaRegistry<S>, repeat: boolean): SagaExecutor<S> {
  let fallback = defaults.get(world)
  if (fallback === undefined) {
    const clock = world.clock ?? new VirtualClock()
    fallback = { clock, trace: world.trace ?? new Trace(clock), ids: world.ids ?? new IdSource(new Rng('saga-harness').fork('ids')) }
    defaults.set(world, fallback)
  }
  return new SagaExecutor({ db: world.db, services: world.services, faults, registry, repeatActions: repeat, repeatUndos: repeat, ...fallback })
}

function drive<T, P, S, Snap>(world: SagaTestWorld<P, S, Snap>, work: Promise<T>): Promise<T> {
  return world.drive === undefined ? work : world.drive(work)
}

function failingAt(sagaName: string, nodeName: string): SagaFaults {
  const faults = new SagaFaults()
  faults.failAt(sagaName, nodeName)
  return faults
}

function endingOf(outcome: SagaOutcome<SagaOutputs>): SagaEnding {
  switch (outcome.kind) {
    case 'succeeded':
      return { kind: 'succeeded' }
    case 'unwound':
      return { kind: 'unwound', failedNode: outcome.failedNode }
    case 'stuck':
      return { kind: 'stuck', failedNode: outcome.failedNode, undoNode: outcome.undoNode }
    default:
      return assertNever(outcome, 'saga outcome')
  }
}

function expectEnding<Snap>(run: Finished<Snap>, expected: SagaEnding, label: string): void {
  const detail = run.error === null ? '' : ` (${run.error})`
  expect(run.ending, `${label}: how the saga ended${detail}`).toEqual(expected)
}

interface CrashStep {
  readonly node: string
  readonly at: SagaCrashPoint
}

/** Every step logged in `events` where a crash can be injected; `unwindingOnly` skips the forward ones. */
export function crashPointsOf(events: readonly { readonly kind: string; readonly node: string }[], unwindingOnly: boolean): CrashStep[] {
  const steps: CrashStep[] = []
  for (const event of events) {
    if (event.kind === 'succeeded' && !unwindingOnly) steps.push({ node: event.node, at: 'before_succeeded' }, { node: event.node, at: 'after_succeeded' })
    if (event.kind === 'failed') steps.push({ node: event.node, at: 'after_failed' })
    if (event.kind === 'undo_finished') steps.push({ node: event.node, at: 'before_undo_finished' }, { node: event.node, at: 'after_undo_finished' })
  }
  return steps
}

async function settle<T>(work: Promise<T>): Promise<{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown }> {
  try {
    return { ok: true, value: await work }
  } catch (error) {
    return { ok: false, error }
  }
}
