// Builds the swimlane model of one run from its trace and violations: which lane each event belongs
// to (a VMM by its propolis id or the id in an HTTP path, an instance by its records and sagas,
// Nexus for the rest) and what it draws there. Pure; unknown kinds become plain marks.
import { canonicalJson } from '../../sim/kernel/trace.ts'
import type { InvariantViolation } from '../invariants/violation.ts'
import { fieldsOf, num, shortId, str, type EventFields } from './event-fields.ts'
import { InstanceStates, isDeletion } from './instance-band.ts'
import { LaneSet } from './lane-set.ts'
import { indexTrace, type TraceIndex } from './lane-index.ts'
import type { LaneModel, MarkShape, MarkTone } from './lane-model.ts'
import type { ScenarioRunReport } from './report-model.ts'
import { findTaskRuns } from './task-runs.ts'

type RunInput = Pick<ScenarioRunReport, 'trace' | 'violations' | 'endedAt' | 'epochMs' | 'names'>

export function buildLaneModel(run: RunInput): LaneModel {
  const events = run.trace.map(fieldsOf)
  const index = indexTrace(events, run.names)
  const lanes = new LaneSet(index, run.epochMs)
  const states = new InstanceStates()
  const quietRuns = new Set(findTaskRuns(events).flatMap((r) => (r.quiet && r.finished !== null ? [r.finished.seq] : [])))
  const violations = [...run.violations].map((v, i) => ({ v, i })).sort((a, b) => a.v.at - b.v.at || a.i - b.i)
  let next = 0
  const flushViolations = (before: number): void => {
    for (; next < violations.length && (violations[next]?.v.at ?? Infinity) < before; next += 1) {
      const { v, i } = violations[next] ?? { v: null, i: 0 }
      if (v !== null) addViolation(lanes, v, i)
    }
  }

  for (const event of events) {
    flushViolations(event.at)
    addEvent(lanes, index, states, quietRuns, event)
  }
  flushViolations(Infinity)
  return lanes.model(Math.max(run.endedAt, events.at(-1)?.at ?? 0))
}

function addEvent(lanes: LaneSet, index: TraceIndex, states: InstanceStates, quietRuns: ReadonlySet<number>, event: EventFields): void {
  const mark = (lane: string, shape: MarkShape, tone: MarkTone, label: string, headline: string): void =>
    lanes.mark(lane, event, shape, tone, label, headline)
  const propolis = str(event, 'propolis')
  switch (event.kind) {
    case 'db.record':
      return addRecord(lanes, states, event)
    case 'nexus.vmm_update': {
      // Without `db.record` rows, what Nexus wrote is the update it recorded.
      const outcome = str(event, 'outcome')
      if (propolis === null) return
      if (index.recordedVmms.has(propolis) || outcome === 'ignored') return lanes.place(lanes.vmm(propolis), event)
      return lanes.segment(lanes.vmm(propolis), 0, event, str(event, 'state'), num(event, 'gen'), `Nexus recorded ${str(event, 'state')} g${num(event, 'gen')} (${outcome})`)
    }
    case 'sled-agent.vmm': {
      if (propolis === null) return
      const gone = str(event, 'phase') === 'deregistered'
      const view = `${str(event, 'sled')}'s view: ${str(event, 'state')} g${num(event, 'gen')} (phase ${str(event, 'phase')})`
      return lanes.segment(lanes.vmm(propolis), 1, event, gone ? null : str(event, 'state'), num(event, 'gen'), gone ? `${str(event, 'sled')} deregistered the VMM` : view)
    }
    case 'saga.node': {
      const step = str(event, 'event')
      const lane = lanes.sagaNode(event)
      const node = str(event, 'node') ?? '?'
      const headline = `${str(event, 'name')} · ${node}: ${step}${str(event, 'error') === null ? '' : ` (${str(event, 'error')})`}`
      switch (step) {
        case 'succeeded':
          return mark(lane, 'saga_node', 'ok', '', headline)
        case 'failed':
          return mark(lane, 'saga_node', 'failed', '✕', headline)
        case 'undo_finished':
          return mark(lane, 'saga_node', 'undo', '↶', headline)
        case 'undo_failed':
          return mark(lane, 'saga_node', 'failed', '↶✕', headline)
        default:
          return lanes.place(lane, event) // started and undo_started: the mark goes where the step ended
      }
    }
    case 'saga.started':
    case 'saga.finished':
      return lanes.sagaEdge(event)
    case 'saga.resumed':
      return mark(lanes.sagaNode(event), 'restart', 'info', '↻', `${str(event, 'name')} resumed (${str(event, 'phase')})`)
    case 'fault.saga':
      return mark(lanes.sagaNode(event), 'fault', 'fault', '⚡', `saga fault ${str(event, 'fault')} at ${str(event, 'name')} · ${str(event, 'node')}`)
    case 'nexus.crashed':
      return mark('nexus', 'crash', 'failed', 'crash', `Nexus crashed: ${str(event, 'reason')}`)
    case 'nexus.restarted':
      return mark('nexus', 'restart', 'ok', 'restart', `Nexus restarted (incarnation ${num(event, 'incarnation')}); resuming ${JSON.stringify(event['sagas'] ?? [])}`)
    case 'task.activated':
      return lanes.place('nexus', event) // drawn when it finishes, with what it found
    case 'task.finished': {
      const quiet = quietRuns.has(event.seq)
      return mark('nexus', 'task', quiet ? 'quiet' : 'info', '', `${str(event, 'task')}: ${quiet ? 'nothing to do' : canonicalJson(event['status'] ?? null)}`)
    }
    case 'http.request':
      return addRequest(lanes, index, event)
    case 'http.response':
      return lanes.place(responseLane(lanes, index, event), event) // merged into its request's mark
    case 'fault.injected': {
      const exchange = index.exchangeOfFault.get(event.seq)
      const request = exchange === undefined ? undefined : index.requests.get(exchange)
      const lane = propolis !== null ? lanes.vmm(propolis) : request === undefined ? 'nexus' : lanes.forRequest(request)
      return mark(lane, 'fault', 'fault', '⚡', `fault ${num(event, 'fault')} injected: ${str(event, 'operation') ?? 'any'} answered ${str(event, 'respond')}`)
    }
    case 'fault.propolis':
      return mark(lanes.vmm(propolis ?? '?'), 'fault', 'fault', '⚡', `Propolis fault: ${str(event, 'fault')}`)
    case 'propolis.process': {
      const restarted = str(event, 'event') === 'restarted'
      return mark(lanes.vmm(propolis ?? '?'), 'event', restarted ? 'warn' : 'info', '', `Propolis ${restarted ? 'restarted with no VM' : 'zone removed'}`)
    }
    case 'propolis.request': {
      const outcome = str(event, 'outcome') ?? ''
      const tone = /^(queued|ignored|2\d\d)$/.test(outcome) ? 'info' : 'warn'
      return mark(lanes.vmm(propolis ?? '?'), 'event', tone, '', `Propolis ${str(event, 'request')} → ${outcome}`)
    }
    case 'propolis.published':
      return lanes.place(lanes.vmm(propolis ?? '?'), event) // the sled's view row shows what it made of it
    case 'sled.changed':
      return addSledChange(lanes, event)
    case 'sled-agent.notify_failed':
      return mark(lanes.vmm(propolis ?? '?'), 'event', 'warn', '', `sled-agent could not tell Nexus (attempt ${num(event, 'attempt')}): ${str(event, 'error')}`)
    case 'nexus.vmm_marked_failed':
      return mark(lanes.vmm(propolis ?? '?'), 'event', 'warn', '', `Nexus marked the VMM failed: ${str(event, 'reason')}`)
    case 'nexus.start_failure_recorded':
    case 'nexus.auto_start_failed':
      return mark(lanes.instance(str(event, 'instance') ?? '?'), 'event', 'warn', '', event.kind.replace('nexus.', '').replaceAll('_', ' '))
    case 'instance_update.activation_requested':
    case 'instance_update.decided':
      return lanes.place(lanes.instance(str(event, 'instance') ?? '?'), event) // the update saga's span says it
    case 'note':
      return mark(lanes.scenario(), 'note', 'info', str(event, 'text') ?? '', `note: ${str(event, 'text')}`)
    default:
      return mark(lanes.forUnknown(event), 'event', 'info', '', event.kind)
  }
}

function responseLane(lanes: LaneSet, index: TraceIndex, response: EventFields): string {
  const request = index.requests.get(num(response, 'exchange') ?? -1)
  return request === undefined ? 'nexus' : lanes.forRequest(request)
}

function addRecord(lanes: LaneSet, states: InstanceStates, row: EventFields): void {
  const gone = isDeletion(row)
  switch (str(row, 'table')) {
    case 'instance': {
      const instance = states.instanceRow(row)
      if (instance !== null) lanes.instanceState(instance, row, states.view(instance), gone)
      return
    }
    case 'vmm': {
      const id = str(row, 'id')
      if (id === null) return
      const reason = str(row, 'failure_reason')
      const title = `Nexus's VMM record: ${str(row, 'state')} g${num(row, 'gen')}${reason === null ? '' : ` (${reason})`} · ${str(row, 'op') ?? 'write'}`
      lanes.segment(lanes.vmm(id), 0, row, gone ? null : str(row, 'state'), num(row, 'gen'), gone ? `${title} (deleted)` : title)
      for (const instance of states.vmmRow(row)) lanes.instanceState(instance, row, states.view(instance), false)
      return
    }
    case 'migration': {
      const [source, target] = [str(row, 'source_propolis_id') ?? '?', str(row, 'target_propolis_id') ?? '?']
      const sides = `source ${shortId(source)} ${str(row, 'source_state')} g${num(row, 'source_gen')} → target ${shortId(target)} ${str(row, 'target_state')} g${num(row, 'target_gen')}`
      return lanes.mark(lanes.instance(str(row, 'instance') ?? '?'), row, 'event', 'info', '', `migration ${str(row, 'id')} ${str(row, 'op')}: ${sides}`)
    }
    default:
      // A table added later: a mark where its ids place it.
      return lanes.mark(lanes.forUnknown(row), row, 'event', 'info', '', `${str(row, 'table')} record ${str(row, 'op') ?? 'write'}`)
  }
}

function addRequest(lanes: LaneSet, index: TraceIndex, request: EventFields): void {
  const exchange = num(request, 'exchange') ?? -1
  const response = index.responses.get(exchange)
  const fault = index.faultOfExchange.get(exchange)
  const status = response === undefined ? null : (response['status'] ?? null)
  const tone: MarkTone =
    fault !== undefined ? 'fault' : status === null ? 'pending' : typeof status !== 'number' || status >= 500 ? 'failed' : status >= 300 ? 'warn' : 'ok'
  const upcall = /^nexus/.test(str(request, 'to') ?? '')
  const answer = status === null ? 'no response' : String(status)
  const label = tone === 'ok' ? '' : status === 'network_error' ? 'net' : status === null ? '…' : String(status)
  const headline = `${str(request, 'method')} ${str(request, 'path')} → ${answer}${fault === undefined ? '' : ` (fault ${num(fault, 'fault')}: ${str(fault, 'respond')})`}\n${str(request, 'operation') ?? ''} · ${str(request, 'from')} → ${str(request, 'to')} · exchange ${exchange}`
  lanes.mark(lanes.forRequest(request), request, upcall ? 'http_upcall' : 'http_call', tone, label, headline)
}

function addSledChange(lanes: LaneSet, event: EventFields): void {
  const change = str(event, 'change') ?? '?'
  const sled = str(event, 'sled') ?? '?'
  const propolis = str(event, 'propolis')
  if (propolis !== null) {
    // The sled dropped a VMM behind Nexus's back: a fault, and the end of the sled's view of it.
    lanes.segment(lanes.vmm(propolis), 1, event, null, null, `${sled}: ${change}`)
    return lanes.mark(lanes.vmm(propolis), event, 'fault', 'fault', '⚡', `${sled}: ${change}`)
  }
  const recovered = /^(booted|healed|agent_restarted|powering_on)$/.test(change)
  lanes.mark(lanes.sled(sled), event, recovered ? 'restart' : 'fault', recovered ? 'ok' : 'fault', change, `${sled}: ${change}`)
}

function addViolation(lanes: LaneSet, violation: InvariantViolation, i: number): void {
  const [, what, id] = /^(instance|vmm|saga|sled) (\S+)/.exec(violation.subject) ?? []
  const lane =
    what === 'instance' ? lanes.instance(id ?? '') : what === 'vmm' ? lanes.vmm(id ?? '') : what === 'sled' ? lanes.sled(id ?? '') : what === 'saga' ? lanes.saga(id ?? '') : lanes.scenario()
  lanes.violation(lane, violation, i)
}
