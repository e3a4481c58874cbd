// The handles the public API hands out for a simulated sled (`tb.sled(s)`) and a simulated Propolis
// (`tb.vmm(id)`): thin, named controls over the simulation, and how a sled is named (name, index, id).
import { typedUuid, type PropolisUuid } from '../sim/kernel/ids.ts'
import type { MigrationFault, PropolisInstanceState, PropolisOperation, PropolisServerHandle } from '../sim/propolis/types.ts'
import type { SimSled, SledVmmView } from '../sim/sled-agent/sled.ts'

/** A sled, named by its name (`'sled-2'`), its index (`1`) or its id. */
export type SledRef = string | number

export class TestbedLookupError extends Error {
  override readonly name = 'TestbedLookupError'
}

export interface SledHandle {
  readonly id: string
  readonly name: string
  /** The sled-agent's base URL, reachable with fetch while the testbed lives. */
  readonly url: string
  readonly hardwareThreads: number
  readonly reservoirGiB: number
  powerOff(): void
  powerOn(): void
  partition(): void
  heal(): void
  restartAgent(options?: { readonly forgetVmms?: boolean }): void
  forgetVmm(propolisId: string): void
  /** The VMMs the sled-agent knows, with their phase and last state. */
  vmms(): readonly SledVmmView[]
}

export interface VmmHandle {
  readonly propolisId: string
  /** The Propolis instance state, or null while there is no VM (before ensure, after a crash). */
  readonly state: PropolisInstanceState | null
  crash(): void
  guestShutdown(): void
  guestReboot(): void
  /** Stops progress on the given operations (all when omitted) until `unhang()`. */
  hang(operations?: readonly PropolisOperation[]): void
  unhang(): void
  /** The next migration this server takes part in fails at `phase` on `side`. */
  failNextMigration(fault: MigrationFault): void
  failNextStart(): void
}

export function resolveSled(sleds: readonly SimSled[], ref: SledRef): SimSled {
  const found = typeof ref === 'number' ? sleds[ref] : sleds.find((s) => s.name === ref || s.id === ref)
  if (found === undefined) {
    const known = sleds.map((s) => s.name).join(', ')
    throw new TestbedLookupError(`sled lookup failed: no sled ${JSON.stringify(ref)} (sleds: ${known}; by name, index or id)`)
  }
  return found
}

export function sledHandle(sled: SimSled): SledHandle {
  return {
    id: sled.id,
    name: sled.name,
    url: sled.url,
    hardwareThreads: sled.hardwareThreads,
    reservoirGiB: sled.reservoirGiB,
    powerOff: () => sled.powerOff(),
    powerOn: () => sled.powerOn(),
    partition: () => sled.partition(),
    heal: () => sled.heal(),
    restartAgent: (options = {}) => sled.restartAgent({ forgetVmms: options.forgetVmms ?? false }),
    forgetVmm: (propolisId) => sled.forgetVmm(typedUuid('propolis', propolisId)),
    vmms: () => sled.vmmViews(),
  }
}

/** The Propolis behind `propolisId` on whichever sled runs it. */
export function vmmHandle(sleds: readonly SimSled[], propolisId: string): VmmHandle {
  const id: PropolisUuid = typedUuid('propolis', propolisId)
  const server = (): PropolisServerHandle => {
    for (const sled of sleds) {
      const propolis = sled.vmms.get(id)?.propolis
      if (propolis !== undefined && propolis !== null) return propolis
    }
    throw new TestbedLookupError(`vmm lookup failed: no sled runs a propolis-server for ${propolisId}`)
  }
  server()
  return {
    propolisId,
    get state() {
      return server().state
    },
    crash: () => server().crash(),
    guestShutdown: () => server().guestShutdown(),
    guestReboot: () => server().guestReboot(),
    hang: (operations) => server().hang(operations),
    unhang: () => server().unhang(),
    failNextMigration: (fault) => server().failNextMigration(fault),
    failNextStart: () => server().failNextStart(),
  }
}
