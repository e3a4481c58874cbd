// The whole system before `createTestbed` exists: the composed Nexus, simulated sleds and MGS on one
// clock and trace, all talking over MSW. Tests drive it through Nexus's HTTP API or its service.
import { Nexus } from '../../nexus/nexus.ts'
import type { NexusFlags } from '../../nexus/nexus-config.ts'
import type { WriteListener } from '../../nexus/db/tables.ts'
import { VirtualClock } from '../../sim/kernel/clock.ts'
import { Rng } from '../../sim/kernel/rng.ts'
import { Trace } from '../../sim/kernel/trace.ts'
import { serveMgs } from '../../sim/mgs.ts'
import { SledHarness } from './sled-harness.ts'

let worlds = 0

export interface FullWorld {
  readonly clock: VirtualClock
  readonly trace: Trace
  readonly nexus: Nexus
  readonly h: SledHarness
  dispose(): void
}

export function createFullWorld(options: { seed?: number; flags?: Partial<NexusFlags>; sleds?: number; onWrite?: WriteListener } = {}): FullWorld {
  worlds += 1
  const clock = new VirtualClock()
  const trace = new Trace(clock)
  const tag = `full-${worlds}`
  const nexus = new Nexus({
    clock,
    trace,
    rng: new Rng(options.seed ?? 1).fork('nexus'),
    url: `http://nexus.${tag}.sim`,
    mgsUrl: `http://mgs.${tag}.sim`,
    flags: options.flags ?? {},
    ...(options.onWrite === undefined ? {} : { onWrite: options.onWrite }),
  })
  const h = new SledHarness({
    clock,
    trace,
    seed: options.seed ?? 1,
    sleds: options.sleds ?? 2,
    propagation: nexus.flags.propagation,
    nexusHost: `nexus.${tag}.sim`,
    nexusHandlers: () => nexus.handlers(),
    // A crashed Nexus's host does not answer: sled-agents' upcalls fail and are retried.
    nexusReachable: () => nexus.up,
  })
  h.sleds.forEach((sled, spSlot) =>
    nexus.addSled({ id: sled.id, name: sled.name, url: sled.url, spSlot, hardwareThreads: sled.hardwareThreads, reservoirBytes: sled.reservoirGiB * 1024 ** 3, cpuFamily: sled.cpuFamily }),
  )
  const unserveMgs = serveMgs(h.network, `mgs.${tag}.sim`, () => h.sleds)
  return {
    clock,
    trace,
    nexus,
    h,
    dispose() {
      nexus.background.stop()
      unserveMgs()
      h.dispose()
    },
  }
}
