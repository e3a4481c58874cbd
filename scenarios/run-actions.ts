// Carrying out the steps that act: instance operations (with an expected error checked against
// status and message), faults, sled and Propolis controls, saga faults, Nexus crashes, and time.
import { assertNever } from '../sim/kernel/assert-never.ts'
import type { FaultHandle, FaultResponse } from '../sim/faults.ts'
import { NexusApiError } from '../nexus/app/errors.ts'
import { parseBytes } from './bytes.ts'
import { resolveVmm, StepFailed } from './run-refs.ts'
import { conditionHolds, describeCondition } from './run-conditions.ts'
import type { ExpectedError, Step } from './scenario-schema.ts'
import type { Testbed } from './testbed.ts'

export type ActionStep = Exclude<Step, { step: `expect${string}` }>

/** What a run keeps between steps: the fault handles by label. */
export interface RunState {
  readonly faults: Map<string, FaultHandle>
}

export async function runAction(tb: Testbed, step: ActionStep, state: RunState): Promise<void> {
  switch (step.step) {
    case 'create':
      return expectOutcome(step.expectError, () =>
        tb.nexus.instanceCreate({
          name: step.name,
          ncpus: step.ncpus,
          memory: parseBytes(step.memory) ?? 0,
          ...(step.start === undefined ? {} : { start: step.start }),
          ...(step.autoRestartPolicy === undefined ? {} : { autoRestartPolicy: step.autoRestartPolicy }),
          ...(step.autoRestartCooldown === undefined ? {} : { autoRestartCooldown: step.autoRestartCooldown }),
          ...(step.cpuPlatform === undefined ? {} : { cpuPlatform: step.cpuPlatform }),
          ...(step.antiAffinityGroups === undefined && step.affinityGroups === undefined
            ? {}
            : { affinity: { antiAffinityGroups: step.antiAffinityGroups ?? [], affinityGroups: step.affinityGroups ?? [] } }),
        }),
      )
    case 'start':
      return expectOutcome(step.expectError, () => tb.nexus.instanceStart(step.instance))
    case 'stop':
      return expectOutcome(step.expectError, () => tb.nexus.instanceStop(step.instance))
    case 'reboot':
      return expectOutcome(step.expectError, () => tb.nexus.instanceReboot(step.instance))
    case 'delete':
      return expectOutcome(step.expectError, () => tb.nexus.instanceDelete(step.instance))
    case 'migrate':
      return expectOutcome(step.expectError, () => tb.nexus.instanceMigrate(step.instance, { dstSled: step.dstSled }))
    case 'concurrently': {
      // Every operation is issued before any is driven; each one's own expectation is checked.
      const outcomes = await Promise.allSettled(step.steps.map((op) => runAction(tb, op, state)))
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`operation ${i} (${step.steps[i]?.step ?? '?'}): ${errorText(o.reason)}`] : []))
      if (failed.length > 0) throw new StepFailed(failed.join('; '))
      return
    }
    case 'expungeSled':
      return tb.nexus.sledExpunge(step.sled)
    case 'affinityGroup': {
      const params = { name: step.name, policy: step.policy }
      return expectOutcome(step.expectError, () => (step.kind === 'affinity' ? tb.nexus.affinityGroupCreate(params) : tb.nexus.antiAffinityGroupCreate(params)))
    }
    case 'affinityGroupMember':
      return expectOutcome(step.expectError, () =>
        step.kind === 'affinity' ? tb.nexus.affinityGroupMemberAdd(step.group, step.instance) : tb.nexus.antiAffinityGroupMemberAdd(step.group, step.instance),
      )
    case 'crashNexus':
      tb.nexus.crash()
      return tb.settle()
    case 'restartNexus':
      return tb.nexus.restart()
    case 'activate':
      await tb.activate(step.task)
      return
    case 'fault': {
      const handle = tb.faults.inject({
        target: step.target,
        respond: faultResponseFrom(step.respond),
        ...(step.sled === undefined ? {} : { sled: step.sled }),
        ...(step.operation === undefined ? {} : { operation: step.operation }),
        ...(step.vmm === undefined ? {} : { propolisId: resolveVmm(tb, step.vmm).id }),
        ...(step.times === undefined ? {} : { times: step.times }),
      })
      if (step.label !== undefined) state.faults.set(step.label, handle)
      return
    }
    case 'clearFault': {
      const handle = state.faults.get(step.label)
      if (handle === undefined) throw new StepFailed(`no fault labelled ${step.label}`)
      handle.clear()
      return
    }
    case 'sled':
      return sledAction(tb, step)
    case 'forgetVmm': {
      const vmm = resolveVmm(tb, step.vmm)
      tb.sled(vmm.sledId).forgetVmm(vmm.id)
      return tb.settle()
    }
    case 'vmm':
      return vmmAction(tb, step)
    case 'failMigration':
      tb.vmm(resolveVmm(tb, step.vmm).id).failNextMigration({ side: step.side, ...(step.phase === undefined ? {} : { phase: step.phase }) })
      return
    case 'sagaFault':
      switch (step.fault) {
        case 'fail':
          tb.sagaFaults.failAt(step.saga, step.node, step.times === undefined ? {} : { times: step.times })
          return
        case 'failUndo':
          tb.sagaFaults.failUndoAt(step.saga, step.node, step.times === undefined ? {} : { times: step.times })
          return
        case 'crashNexusAfter':
          tb.sagaFaults.crashNexusAfter(step.saga, step.node, step.times === undefined ? {} : { times: step.times })
          return
        default:
          return assertNever(step.fault, 'saga fault')
      }
    case 'advance':
      return tb.advance(step.by)
    case 'settle':
      return tb.settle()
    case 'runUntil': {
      const timeout = step.timeout ?? '10m'
      try {
        await tb.runUntil(() => conditionHolds(tb, step.until), { timeout })
      } catch (error) {
        throw new StepFailed(`${describeCondition(step.until)} did not happen within ${String(timeout)} (${(error as Error).message.split('\n')[0] ?? ''})`)
      }
      return
    }
    case 'note':
      tb.note(step.text)
      return
    default:
      return assertNever(step, 'scenario step')
  }
}

function sledAction(tb: Testbed, step: Extract<Step, { step: 'sled' }>): Promise<void> {
  const sled = tb.sled(step.sled)
  switch (step.action) {
    case 'powerOff':
      sled.powerOff()
      break
    case 'powerOn':
      sled.powerOn()
      break
    case 'partition':
      sled.partition()
      break
    case 'heal':
      sled.heal()
      break
    case 'restartAgent':
      sled.restartAgent({ forgetVmms: false })
      break
    case 'restartAgentForgettingVmms':
      sled.restartAgent({ forgetVmms: true })
      break
    default:
      assertNever(step.action, 'sled action')
  }
  return tb.settle()
}

function vmmAction(tb: Testbed, step: Extract<Step, { step: 'vmm' }>): Promise<void> {
  const vmm = tb.vmm(resolveVmm(tb, step.vmm).id)
  switch (step.action) {
    case 'crash':
      vmm.crash()
      break
    case 'guestShutdown':
      vmm.guestShutdown()
      break
    case 'guestReboot':
      vmm.guestReboot()
      break
    case 'hang':
      vmm.hang(step.operations)
      break
    case 'unhang':
      vmm.unhang()
      break
    case 'failNextStart':
      vmm.failNextStart()
      break
    default:
      assertNever(step.action, 'vmm action')
  }
  return tb.settle()
}

/** Runs an operation that should succeed, or fail with exactly the expected status and message. */
async function expectOutcome(expected: ExpectedError | undefined, call: () => Promise<unknown>): Promise<void> {
  let error: unknown = null
  try {
    await call()
  } catch (caught) {
    error = caught
  }
  if (expected === undefined) {
    if (error === null) return
    if (error instanceof NexusApiError) throw new StepFailed(`failed with ${error.statusCode}${error.errorCode === undefined ? '' : ` ${error.errorCode}`}: ${error.message}`)
    throw error
  }
  if (error === null) throw new StepFailed(`succeeded, but a ${expected.status} error was expected`)
  if (!(error instanceof NexusApiError)) throw error
  const wrong: string[] = []
  if (error.statusCode !== expected.status) wrong.push(`status: expected ${expected.status}, got ${error.statusCode}`)
  if (expected.errorCode !== undefined && (error.errorCode ?? null) !== expected.errorCode) wrong.push(`errorCode: expected ${expected.errorCode ?? 'none'}, got ${error.errorCode ?? 'none'}`)
  if (expected.message !== undefined && error.message !== expected.message) wrong.push(`message: expected ${JSON.stringify(expected.message)}, got ${JSON.stringify(error.message)}`)
  if (expected.messageIncludes !== undefined && !error.message.includes(expected.messageIncludes)) {
    wrong.push(`message: expected it to include ${JSON.stringify(expected.messageIncludes)}, got ${JSON.stringify(error.message)}`)
  }
  if (wrong.length > 0) throw new StepFailed(wrong.join('; '))
}

// The schema's optional fields come back as `undefined`; the fault plan wants them absent.
function faultResponseFrom(respond: Extract<Step, { step: 'fault' }>['respond']): FaultResponse {
  if (typeof respond === 'string' || 'delay' in respond) return respond
  return {
    status: respond.status,
    ...(respond.errorCode === undefined ? {} : { errorCode: respond.errorCode }),
    ...(respond.message === undefined ? {} : { message: respond.message }),
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
