// A small world for propolis-server tests: a virtual clock, a trace, a network of servers by
// address that a test can partition, and readers for what each server published.
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { typedUuid, type MigrationUuid, type PropolisUuid } from '../../../sim/kernel/ids.ts'
import { Trace, type TraceEvent } from '../../../sim/kernel/trace.ts'
import { PropolisServer } from '../../../sim/propolis/server.ts'
import type { PropolisNetwork, PropolisServerHandle, PropolisTiming } from '../../../sim/propolis/types.ts'

/** One published item, as the tests compare them: `State`, `State in=Phase`, `State out=Phase`. */
export type Published = string

export class TestNetwork implements PropolisNetwork {
  readonly #servers = new Map<string, PropolisServerHandle>()
  readonly #parted = new Set<string>()

  add(server: PropolisServerHandle): void {
    this.#servers.set(server.addr, server)
  }

  /** Cuts every connection to and from `addr`. */
  partition(addr: string): void {
    this.#parted.add(addr)
  }

  connect(fromAddr: string, addr: string): PropolisServerHandle | null {
    if (this.#parted.has(fromAddr) || this.#parted.has(addr)) return null
    return this.#servers.get(addr) ?? null
  }
}

export const MIGRATION_ID: MigrationUuid = typedUuid('migration', '00000000-0000-4000-8000-00000000000f')

export class World {
  readonly clock = new VirtualClock()
  readonly trace = new Trace(this.clock)
  readonly network = new TestNetwork()
  #next = 1

  server(timing: Partial<PropolisTiming> = {}): PropolisServer {
    const n = this.#next++
    const propolisId: PropolisUuid = typedUuid('propolis', `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`)
    const server = new PropolisServer({ propolisId, addr: `[fd00::${n}]:12400`, clock: this.clock, trace: this.trace, network: this.network, timing })
    this.network.add(server)
    return server
  }

  /** Everything `server` published, in order, as `{ gen, item }`. */
  publishes(server: PropolisServerHandle): { readonly gen: number; readonly item: Published }[] {
    return this.trace
      .events()
      .filter((e): e is TraceEvent<'propolis.published'> => e.kind === 'propolis.published' && e.propolis === server.propolisId)
      .map((e) => ({ gen: e.gen, item: describe(e) }))
  }

  /** The published items of `server` (the gens are checked separately: strictly +1 per VM). */
  sequence(server: PropolisServerHandle): Published[] {
    return this.publishes(server).map((p) => p.item)
  }

  /** Runs the clock far enough for any default-timed work to finish. */
  async runFor(ms = 60_000): Promise<void> {
    await this.clock.advance(ms)
  }
}

/** `Running`, `Migrating in=Sync`, `Running out=Error`: the state, plus the phases that changed. */
function describe(event: TraceEvent<'propolis.published'>): Published {
  const parts: string[] = [event.state]
  if (event.migration_in !== null) parts.push(`in=${event.migration_in}`)
  if (event.migration_out !== null) parts.push(`out=${event.migration_out}`)
  return parts.join(' ')
}

/** Ensures from a spec, waits for the 201, sends Run and waits for the boot: the VM is Running. */
export async function startRunning(world: World, server: PropolisServer): Promise<void> {
  const ensured = server.ensure({ kind: 'spec' })
  await world.clock.advance(500)
  const result = await ensured
  if (!result.ok) throw new Error(`startRunning failed: ensure answered ${JSON.stringify(result.error)}`)
  await server.putState('Run')
  await world.clock.advance(2000)
  if (server.state !== 'Running') throw new Error(`startRunning failed: the VM is ${server.state}`)
}

/** A new server with a Running VM. */
export async function runningServer(world: World): Promise<PropolisServer> {
  const server = world.server()
  await startRunning(world, server)
  return server
}

/** The target's ensure as a migration target of `source` (its promise settles at the 201 or 500). */
export function migrateIn(target: PropolisServer, source: PropolisServer) {
  return target.ensure({ kind: 'migration_target', migrationId: MIGRATION_ID, sourceAddr: source.addr })
}

export interface Scenario {
  readonly name: string
  readonly run: (world: World) => Promise<Record<string, PropolisServer>>
  /** What each named server publishes, in order (absent: the test asserts something else). */
  readonly expected?: Readonly<Record<string, readonly Published[]>>
}
