// Nexus's client for MGS's power-state query. Anything short of a clear answer is "unknown": the
// watcher then treats an unreachable sled as inconclusive. Mirrors: omicron's gateway client use in
// nexus/src/app/background/tasks/instance_watcher.rs@b848b6d.
import { z } from 'zod'
import type { VirtualClock } from '../../sim/kernel/clock.ts'
import { globalFetch } from './sled-agent-client.ts'

export type PowerState = 'A0' | 'A1' | 'A2'
const PowerStateSchema = z.enum(['A0', 'A1', 'A2'])

export class MgsClient {
  readonly #baseUrl: string
  readonly #clock: VirtualClock
  readonly #fetch: typeof fetch

  /** `fetchFn`: how requests are sent; the global `fetch` (which MSW intercepts) by default. */
  constructor(baseUrl: string, clock: VirtualClock, fetchFn: typeof fetch = globalFetch) {
    this.#baseUrl = baseUrl
    this.#clock = clock
    this.#fetch = fetchFn
  }

  /** The power state of the sled SP in `slot`, or null when MGS cannot say. */
  async sledPowerState(slot: number): Promise<PowerState | null> {
    const abort = new AbortController()
    const timer = this.#clock.setTimeout(() => abort.abort(), 15_000)
    try {
      const response = await this.#fetch(`${this.#baseUrl}/sp/sled/${slot}/power-state`, { signal: abort.signal })
      if (!response.ok) return null
      const parsed = PowerStateSchema.safeParse(await response.json())
      return parsed.success ? parsed.data : null
    } catch {
      return null
    } finally {
      this.#clock.clearTimeout(timer)
    }
  }
}
