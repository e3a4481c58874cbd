// The first pass over a trace: who belongs to whom (VMM → instance, saga → instance, instance id →
// name, VMM → sled), each HTTP request with its response, and each injected fault with the request
// it answered. lanes.ts reads it to put every event on the right lane.
import { num, str, type EventFields } from './event-fields.ts'

export interface TraceIndex {
  /** The run's human names of ids, as given. */
  readonly names: { readonly [id: string]: string }
  readonly instanceOfVmm: ReadonlyMap<string, string>
  readonly instanceOfSaga: ReadonlyMap<string, string>
  readonly instanceNames: ReadonlyMap<string, string>
  /** An instance's id by its name, for external API paths that name it. */
  readonly instanceIds: ReadonlyMap<string, string>
  readonly sledOfVmm: ReadonlyMap<string, string>
  /** VMMs and instances that have `db.record` rows: their state comes from those rows alone. */
  readonly recordedVmms: ReadonlySet<string>
  readonly recordedInstances: ReadonlySet<string>
  readonly requests: ReadonlyMap<number, EventFields>
  readonly responses: ReadonlyMap<number, EventFields>
  /** The `fault.injected` event that answered an exchange, by exchange number. */
  readonly faultOfExchange: ReadonlyMap<number, EventFields>
  /** The exchange a `fault.injected` event answered, by the fault event's seq. */
  readonly exchangeOfFault: ReadonlyMap<number, number>
}

/** `names` are the run's human names of ids (instance id → `db1`), when the runner supplied them. */
export function indexTrace(events: readonly EventFields[], names: { readonly [id: string]: string } = {}): TraceIndex {
  const index = {
    names,
    instanceOfVmm: new Map<string, string>(),
    instanceOfSaga: new Map<string, string>(),
    instanceNames: new Map<string, string>(),
    instanceIds: new Map<string, string>(),
    sledOfVmm: new Map<string, string>(),
    recordedVmms: new Set<string>(),
    recordedInstances: new Set<string>(),
    requests: new Map<number, EventFields>(),
    responses: new Map<number, EventFields>(),
    faultOfExchange: new Map<number, EventFields>(),
    exchangeOfFault: new Map<number, number>(),
  }
  for (const [id, name] of Object.entries(names).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    index.instanceNames.set(id, name)
    index.instanceIds.set(name, id)
  }
  const lastFault = new Map<number, EventFields>()
  const lastRequest = new Map<string, number>()
  const link = (vmm: string | null, instance: string | null): void => {
    if (vmm !== null && instance !== null && !index.instanceOfVmm.has(vmm)) index.instanceOfVmm.set(vmm, instance)
  }

  for (const event of events) {
    switch (event.kind) {
      case 'db.record':
        indexRecord(event, index, link)
        break
      case 'saga.started':
      case 'instance_update.decided':
      case 'nexus.start_failure_recorded': {
        const saga = str(event, 'saga')
        const instance = str(event, 'instance')
        if (saga !== null && instance !== null && !index.instanceOfSaga.has(saga)) index.instanceOfSaga.set(saga, instance)
        break
      }
      case 'sled-agent.vmm': {
        // The sled-agent names its sled (`sled-1`); a VMM row holds only the sled's id.
        const [vmm, sled] = [str(event, 'propolis'), str(event, 'sled')]
        if (vmm !== null && sled !== null) index.sledOfVmm.set(vmm, sled)
        break
      }
      case 'http.request': {
        const exchange = num(event, 'exchange')
        if (exchange === null) break
        index.requests.set(exchange, event)
        lastRequest.set(str(event, 'operation') ?? str(event, 'path') ?? '', exchange)
        break
      }
      case 'http.response': {
        const exchange = num(event, 'exchange')
        if (exchange === null) break
        index.responses.set(exchange, event)
        // The network names the rule that answered (`cause="fault 2"`).
        const fault = /^fault (\d+)$/.exec(str(event, 'cause') ?? '')
        const injected = fault === null ? undefined : lastFault.get(Number(fault[1]))
        if (injected !== undefined) {
          index.faultOfExchange.set(exchange, injected)
          index.exchangeOfFault.set(injected.seq, exchange)
        }
        break
      }
      case 'fault.injected': {
        const rule = num(event, 'fault')
        if (rule !== null) lastFault.set(rule, event)
        // A fault that never answers (a hang) has no response to name it: pair it with the request.
        const exchange = lastRequest.get(str(event, 'operation') ?? '')
        if (exchange !== undefined && !index.responses.has(exchange)) index.exchangeOfFault.set(event.seq, exchange)
        break
      }
      default:
        break
    }
  }
  return index
}

type MutableIndex = {
  instanceNames: Map<string, string>
  instanceIds: Map<string, string>
  sledOfVmm: Map<string, string>
  recordedVmms: Set<string>
  recordedInstances: Set<string>
}

function indexRecord(event: EventFields, index: MutableIndex, link: (vmm: string | null, instance: string | null) => void): void {
  const id = str(event, 'id')
  if (id === null) return
  const table = str(event, 'table')
  switch (table) {
    case 'instance': {
      index.recordedInstances.add(id)
      const name = str(event, 'name')
      if (name !== null) {
        index.instanceNames.set(id, name)
        index.instanceIds.set(name, id)
      }
      link(activePropolisOf(event), id)
      link(targetPropolisOf(event), id)
      break
    }
    case 'vmm': {
      index.recordedVmms.add(id)
      link(id, str(event, 'instance'))
      const sled = str(event, 'sled')
      if (sled !== null && !index.sledOfVmm.has(id)) index.sledOfVmm.set(id, sled)
      break
    }
    case 'migration':
      link(str(event, 'source_propolis_id'), str(event, 'instance'))
      link(str(event, 'target_propolis_id'), str(event, 'instance'))
      break
    default:
      break
  }
}

/** An instance row's active propolis id. */
export function activePropolisOf(row: EventFields): string | null {
  return str(row, 'active_propolis_id')
}

export function targetPropolisOf(row: EventFields): string | null {
  return str(row, 'target_propolis_id')
}
