// Checking the `expect*` steps against the testbed: the instance view, the records, VMMs, sagas,
// migrations, provisioning, reservations, the trace and the invariants. A mismatch is a StepFailed
// listing every field that differed, as `field: expected X, got Y`.
import { assertNever } from '../sim/kernel/assert-never.ts'
import { NexusApiError } from '../nexus/app/errors.ts'
import { parseBytes } from './bytes.ts'
import { instanceRecord, resolveVmm, sledIdOf, sledNameOf, StepFailed, vmmsOf } from './run-refs.ts'
import type { Step } from './scenario-schema.ts'
import type { Testbed } from './testbed.ts'

export type ExpectStep = Extract<Step, { step: `expect${string}` }>

export function runExpectation(tb: Testbed, step: ExpectStep): void {
  const diffs = new Diffs()
  switch (step.step) {
    case 'expectInstance':
      expectInstance(tb, step, diffs)
      break
    case 'expectRecord': {
      const r = instanceRecord(tb, step.instance)
      diffs.check('state', step.state, r.state)
      diffs.check('intendedState', step.intendedState, r.intendedState)
      diffs.check('gen', step.gen, r.gen)
      diffs.check('hasActiveVmm', step.hasActiveVmm, r.activePropolisId !== null)
      diffs.check('hasTargetVmm', step.hasTargetVmm, r.targetPropolisId !== null)
      diffs.check('hasMigration', step.hasMigration, r.migrationId !== null)
      diffs.check('updaterLocked', step.updaterLocked, r.updaterId !== null)
      break
    }
    case 'expectVmm': {
      const v = resolveVmm(tb, step.vmm)
      diffs.check('state', step.state, v.state)
      diffs.check('failureReason', step.failureReason, v.failureReason)
      diffs.check('gen', step.gen, v.gen)
      diffs.check('deleted', step.deleted, v.timeDeleted !== null)
      diffs.check('sled', step.sled === undefined ? undefined : sledNameOf(tb, sledIdOf(tb, step.sled)), sledNameOf(tb, v.sledId))
      break
    }
    case 'expectVmmCount':
      diffs.check('VMMs', step.count, vmmsOf(tb, step.instance).length)
      break
    case 'expectSagas': {
      const instanceId = step.instance === undefined ? null : instanceRecord(tb, step.instance).id
      const sagas = tb.db.sagas(step.name === undefined ? {} : { name: step.name }).filter((s) => instanceId === null || tb.sagaInstance(s.id) === instanceId)
      diffs.check('states', step.states?.join(', '), sagas.map((s) => s.state).join(', '))
      diffs.check('failedNode', step.failedNode, sagas.at(-1)?.failedNode ?? null)
      break
    }
    case 'expectMigration': {
      const id = instanceRecord(tb, step.instance).id
      const migration = tb.db.migrations({ instanceId: id }).at(-1)
      if (migration === undefined) throw new StepFailed(`instance ${step.instance} has no migration`)
      diffs.check('sourceState', step.sourceState, migration.sourceState)
      diffs.check('targetState', step.targetState, migration.targetState)
      break
    }
    case 'expectProvisioning': {
      const { fleet } = tb.db.provisioning()
      diffs.check('cpus', step.cpus, fleet.cpus)
      diffs.check('ram', parseBytes(step.ram) ?? undefined, fleet.ram)
      break
    }
    case 'expectReservations': {
      const live = tb.db.sledReservations(step.sled === undefined ? undefined : sledIdOf(tb, step.sled)).filter((r) => r.state !== 'tombstoned')
      diffs.check('reservations', step.count, live.length)
      break
    }
    case 'expectTrace': {
      const count = tb.traceLines().filter((line) => line.includes(step.includes)).length
      if (step.count === undefined && step.atLeast === undefined && count === 0) diffs.add(`trace: expected a line with ${JSON.stringify(step.includes)}, found none`)
      diffs.check(`lines with ${JSON.stringify(step.includes)}`, step.count, count)
      if (step.atLeast !== undefined && count < step.atLeast) diffs.add(`lines with ${JSON.stringify(step.includes)}: expected at least ${step.atLeast}, got ${count}`)
      break
    }
    case 'expectViolations': {
      const seen = [...new Set(tb.invariants().map((v) => v.invariant))].sort()
      diffs.check('violations', [...step.invariants].sort().join(', ') || 'none', seen.join(', ') || 'none')
      break
    }
    default:
      assertNever(step, 'expectation')
  }
  diffs.throwIfAny()
}

function expectInstance(tb: Testbed, step: Extract<Step, { step: 'expectInstance' }>, diffs: Diffs): void {
  let view
  try {
    view = tb.nexus.instanceView(step.instance)
  } catch (error) {
    if (error instanceof NexusApiError && error.statusCode === 404) {
      diffs.check('gone', step.gone ?? false, true)
      return
    }
    throw error
  }
  diffs.check('gone', step.gone, false)
  diffs.check('runState', step.runState, view.runState)
  diffs.check('autoRestartEnabled', step.autoRestartEnabled, view.autoRestartEnabled)
  diffs.check('autoRestarted', step.autoRestarted, view.timeLastAutoRestarted !== null)
  if (step.sled !== undefined) {
    const active = instanceRecord(tb, step.instance).activePropolisId
    const vmm = active === null ? null : tb.db.vmm(active)
    diffs.check('sled', sledNameOf(tb, sledIdOf(tb, step.sled)), vmm === null ? 'none' : sledNameOf(tb, vmm.sledId))
  }
  if (step.startFailure === undefined) return
  const failure = view.startFailure ?? null
  if (step.startFailure === null || failure === null) {
    diffs.check('startFailure', step.startFailure === null ? 'none' : 'recorded', failure === null ? 'none' : `recorded (${failure.failedNode}: ${failure.message})`)
    return
  }
  diffs.check('startFailure.failedNode', step.startFailure.failedNode, failure.failedNode)
  diffs.check('startFailure.startReason', step.startFailure.startReason, failure.startReason)
  if (step.startFailure.messageIncludes !== undefined && !failure.message.includes(step.startFailure.messageIncludes)) {
    diffs.add(`startFailure.message: expected it to include ${JSON.stringify(step.startFailure.messageIncludes)}, got ${JSON.stringify(failure.message)}`)
  }
}

class Diffs {
  readonly #lines: string[] = []

  /** Records a difference when `expected` is given and is not `actual`. */
  check(field: string, expected: unknown, actual: unknown): void {
    if (expected === undefined || expected === actual) return
    this.#lines.push(`${field}: expected ${show(expected)}, got ${show(actual)}`)
  }

  add(line: string): void {
    this.#lines.push(line)
  }

  throwIfAny(): void {
    if (this.#lines.length > 0) throw new StepFailed(this.#lines.join('; '))
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}
