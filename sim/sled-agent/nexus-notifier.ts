// How a sled-agent tells Nexus that a VMM changed: the upcall (`cpapi_instances_put`, PUT
// /vmms/{id} with the full SledVmmState) or, with propagation 'doorbell', a body-less notification
// after which Nexus pulls the state (omicron#10290). Retries on the virtual clock, re-reading the
// state each try, on communication errors and 5xx; gives up on anything else.
// Mirrors: omicron sled-agent/src/instance.rs@b848b6d (`publish_state_to_nexus`).
import type { VirtualClock } from '../kernel/clock.ts'
import type { PropolisUuid } from '../kernel/ids.ts'
import type { Rng } from '../kernel/rng.ts'
import type { Trace } from '../kernel/trace.ts'
import { ORIGIN_HEADER } from '../network.ts'
import { NEXUS_INTERNAL_ROUTES, pathFor, type SledVmmState } from './api/index.ts'
import { backoffDelays, INTERNAL_SERVICE_POLICY } from './backoff.ts'

/** How VMM state reaches Nexus (the Nexus config flag `propagation`). */
export type Propagation = 'upcall' | 'doorbell'

export type NotifyOutcome = 'acknowledged' | 'abandoned' | 'cancelled'

declare module '../kernel/trace.ts' {
  interface TraceEventMap {
    'sled-agent.notify_failed': {
      readonly sled: string
      readonly propolis: string
      readonly attempt: number
      readonly error: string
      readonly retry: boolean
    }
  }
}

export interface NexusNotifierDeps {
  readonly sledName: string
  readonly nexusUrl: string
  readonly propagation: Propagation
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly rng: Rng
  /** How requests are sent; the global `fetch` (which MSW intercepts) by default. */
  readonly fetch?: typeof fetch
}

export class NexusNotifier {
  readonly #deps: NexusNotifierDeps

  constructor(deps: NexusNotifierDeps) {
    this.#deps = deps
  }

  get propagation(): Propagation {
    return this.#deps.propagation
  }

  /**
   * Publishes until Nexus acknowledges, Nexus rejects the update for good, or `cancelled()` turns
   * true (the VMM was forgotten, the sled lost power).
   */
  async publish(propolisId: PropolisUuid, current: () => SledVmmState, cancelled: () => boolean): Promise<NotifyOutcome> {
    const { clock, trace, sledName } = this.#deps
    const delays = backoffDelays(INTERNAL_SERVICE_POLICY, this.#deps.rng)
    for (let attempt = 1; ; attempt += 1) {
      if (cancelled()) return 'cancelled'
      const result = await this.#send(propolisId, current())
      if (result.ok) return 'acknowledged'
      trace.record('sled-agent.notify_failed', { sled: sledName, propolis: propolisId, attempt, error: result.error, retry: result.transient })
      if (!result.transient) return 'abandoned'
      await clock.sleep(delays.next().value)
    }
  }

  async #send(propolisId: PropolisUuid, state: SledVmmState): Promise<{ ok: true } | { ok: false; transient: boolean; error: string }> {
    const { nexusUrl, propagation, sledName } = this.#deps
    const route = propagation === 'upcall' ? NEXUS_INTERNAL_ROUTES.cpapi_instances_put : NEXUS_INTERNAL_ROUTES.cpapi_vmm_doorbell
    const url = `${nexusUrl}${pathFor(route.path, { propolis_id: propolisId })}`
    const init: RequestInit =
      propagation === 'upcall'
        ? { method: route.method, headers: { 'content-type': 'application/json', [ORIGIN_HEADER]: sledName }, body: JSON.stringify(state) }
        : { method: route.method, headers: { [ORIGIN_HEADER]: sledName } }
    let response: Response
    try {
      response = await (this.#deps.fetch ?? fetch)(url, init)
    } catch {
      return { ok: false, transient: true, error: 'communication error' }
    }
    await response.arrayBuffer()
    if (response.ok) return { ok: true }
    // Nexus flattens some transient errors into 500s, so every server error is retried.
    return { ok: false, transient: response.status >= 500, error: `${response.status}` }
  }
}
