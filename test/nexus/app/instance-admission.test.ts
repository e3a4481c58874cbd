import { describe, expect, it } from 'vitest'
import { startDisposition, stateChangeAction, type StateChangeRequest } from '../../../nexus/app/instance-admission.ts'
import { INSTANCE_STATES, type InstanceState } from '../../../nexus/types/instance-state.ts'
import { expectKeysCover } from '../../support/covers.ts'

type Outcome = string | readonly [number, string | null, string]
const summarize = (r: { kind: string; error?: { statusCode: number; errorCode: string | undefined; message: string } }): Outcome =>
  r.kind === 'error' && r.error !== undefined ? [r.error.statusCode, r.error.errorCode ?? null, r.error.message] : r.kind

// omicron-model.md §6.4, start: [no VMM or saga_unwound, any other VMM].
const START = {
  creating: [[409, 'Conflict', 'instance is in state creating but it must be stopped to be started'], [409, 'Conflict', 'instance is in state creating but it must be stopped to be started']],
  starting: ['already_started', 'already_started'],
  running: ['already_started', 'already_started'],
  stopping: [[409, 'Conflict', 'instance must finish stopping before it can be started'], [409, 'Conflict', 'instance must finish stopping before it can be started']],
  stopped: ['start', [500, 'Internal', 'Internal Server Error']],
  rebooting: ['already_started', 'already_started'],
  migrating: ['already_started', 'already_started'],
  repairing: [[409, 'Conflict', 'instance is in state repairing but it must be stopped to be started'], [409, 'Conflict', 'instance is in state repairing but it must be stopped to be started']],
  failed: ['start', [500, 'Internal', 'Internal Server Error']],
  destroyed: [[409, 'Conflict', 'instance is in state destroyed but it must be stopped to be started'], [409, 'Conflict', 'instance is in state destroyed but it must be stopped to be started']],
} as const satisfies Record<InstanceState, readonly [Outcome, Outcome]>

const BAD = (m: string) => [400, 'InvalidRequest', m] as const
const INTERNAL = [500, 'Internal', 'Internal Server Error'] as const
const FORWARD = 'send_to_sled'

// omicron-behaviour.md §2.9 with no active VMM: [run, stop, reboot, migrate].
const WITHOUT_VMM = {
  creating: Array(4).fill(BAD('cannot change instance state while it is still being created')),
  starting: Array(4).fill(INTERNAL),
  running: Array(4).fill(INTERNAL),
  stopping: Array(4).fill(INTERNAL),
  stopped: [BAD('cannot run an instance in state stopped with no VMM'), 'already_done', BAD('cannot reboot an instance in state stopped with no VMM'), BAD('cannot migrate an instance in state stopped with no VMM')],
  rebooting: Array(4).fill(INTERNAL),
  migrating: Array(4).fill(INTERNAL),
  repairing: Array(4).fill(INTERNAL),
  failed: [BAD('instance state cannot be changed from failed'), 'stop_failed_instance', BAD('instance state cannot be changed from failed'), BAD('instance state cannot be changed from failed')],
  destroyed: Array(4).fill(BAD('instance state cannot be changed from destroyed')),
} satisfies Record<InstanceState, Outcome[]>

// With an active VMM: [run, stop, reboot, migrate].
const noChange = (s: InstanceState) => BAD(`instance state cannot be changed from state "${s}"`)
const WITH_VMM = {
  creating: [FORWARD, FORWARD, FORWARD, noChange('creating')],
  starting: [FORWARD, FORWARD, FORWARD, noChange('starting')],
  running: [FORWARD, FORWARD, FORWARD, FORWARD],
  stopping: [FORWARD, FORWARD, FORWARD, noChange('stopping')],
  stopped: [FORWARD, FORWARD, FORWARD, noChange('stopped')],
  rebooting: [FORWARD, FORWARD, FORWARD, FORWARD],
  migrating: [FORWARD, FORWARD, FORWARD, FORWARD],
  repairing: Array(4).fill(noChange('repairing')),
  failed: Array(4).fill(noChange('failed')),
  destroyed: Array(4).fill(noChange('destroyed')),
} satisfies Record<InstanceState, Outcome[]>

const REQUESTS: readonly StateChangeRequest[] = ['run', 'stop', 'reboot', 'migrate']

describe('startDisposition', () => {
  it('has a row for every external state', () => {
    expectKeysCover(START, INSTANCE_STATES)
  })

  it.each(Object.entries(START))('from %s: %j (no VMM or saga_unwound, then another VMM)', (state, [free, other]) => {
    expect(summarize(startDisposition(state as InstanceState, null))).toEqual(free)
    expect(summarize(startDisposition(state as InstanceState, 'saga_unwound'))).toEqual(free)
    expect(summarize(startDisposition(state as InstanceState, 'running'))).toEqual(other)
  })
})

describe('stateChangeAction', () => {
  it('has a row for every external state, with and without a VMM', () => {
    expectKeysCover(WITHOUT_VMM, INSTANCE_STATES)
    expectKeysCover(WITH_VMM, INSTANCE_STATES)
  })

  it.each(Object.entries(WITHOUT_VMM))('without a VMM, from %s: run, stop, reboot, migrate give %j', (state, outcomes) => {
    expect(REQUESTS.map((r) => summarize(stateChangeAction(state as InstanceState, false, r)))).toEqual(outcomes)
  })

  it.each(Object.entries(WITH_VMM))('with a VMM, from %s: run, stop, reboot, migrate give %j', (state, outcomes) => {
    expect(REQUESTS.map((r) => summarize(stateChangeAction(state as InstanceState, true, r)))).toEqual(outcomes)
  })
})
