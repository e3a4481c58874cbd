// The state monitor's long poll (`GET /instance/state-monitor`) with watch-channel semantics: a
// poll for a gen already reached answers at once with the latest value, a later one waits for the
// next publish; 410 once the publisher is closed, 424 with no VM. Mirrors: propolis
// bin/propolis-server/src/lib/{server.rs,vm/state_publisher.rs}@372a574.
import { assertNever } from '../kernel/assert-never.ts'
import * as reply from './replies.ts'
import type { PropolisMonitorResponse, PropolisResult } from './types.ts'

/** What the monitor can see of the server right now. */
export type MonitorView =
  /** The process is not running (crashed, or its zone is gone). */
  | { readonly kind: 'down' }
  | { readonly kind: 'no_vm' }
  /** `closed`: rundown is complete and the publisher dropped; no later gen will come. */
  | { readonly kind: 'serving'; readonly response: PropolisMonitorResponse; readonly closed: boolean }

type MonitorResult = PropolisResult<PropolisMonitorResponse>

interface Waiter {
  readonly gen: number
  readonly settle: (result: MonitorResult) => void
}

export class MonitorWatch {
  readonly #addr: string
  #waiters: Waiter[] = []

  constructor(addr: string) {
    this.#addr = addr
  }

  poll(gen: number, view: MonitorView): Promise<MonitorResult> {
    switch (view.kind) {
      case 'down':
        return Promise.resolve(reply.failure(reply.connectionError('monitor', this.#addr, 'refused')))
      case 'no_vm':
        return Promise.resolve(reply.failure(reply.NO_INSTANCE))
      case 'serving':
        if (gen <= view.response.gen) return Promise.resolve(reply.ok(view.response))
        if (view.closed) return Promise.resolve(reply.failure(reply.generationGone(gen)))
        return new Promise((settle) => this.#waiters.push({ gen, settle }))
      default:
        return assertNever(view, 'monitor view')
    }
  }

  /** Called after each step of the machine: wakes waiters with the latest value only. */
  update(view: MonitorView): void {
    if (view.kind === 'down') {
      // The process died under the waiting calls.
      for (const waiter of this.#waiters.splice(0)) waiter.settle(reply.failure(reply.connectionError('monitor', this.#addr, 'reset')))
      return
    }
    if (view.kind === 'no_vm' || this.#waiters.length === 0) return
    const waiting: Waiter[] = []
    for (const waiter of this.#waiters) {
      if (waiter.gen <= view.response.gen) waiter.settle(reply.ok(view.response))
      else if (view.closed) waiter.settle(reply.failure(reply.generationGone(waiter.gen)))
      else waiting.push(waiter)
    }
    this.#waiters = waiting
  }
}
