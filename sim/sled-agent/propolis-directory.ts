// Where every propolis-server of one testbed listens, so that a migration target can dial its
// source. Propolis-to-Propolis traffic is in-process (it is not the Nexus/sled-agent HTTP that MSW
// carries), but it respects sled reachability: a partitioned or powered-off sled cannot be dialled.
import type { PropolisNetwork, PropolisServerHandle } from '../propolis/types.ts'

interface Listener {
  readonly server: PropolisServerHandle
  readonly reachable: () => boolean
}

export class PropolisDirectory implements PropolisNetwork {
  readonly #listeners = new Map<string, Listener>()

  listen(addr: string, server: PropolisServerHandle, reachable: () => boolean): void {
    this.#listeners.set(addr, { server, reachable })
  }

  close(addr: string, server: PropolisServerHandle): void {
    if (this.#listeners.get(addr)?.server === server) this.#listeners.delete(addr)
  }

  connect(fromAddr: string, addr: string): PropolisServerHandle | null {
    const from = this.#listeners.get(fromAddr)
    const to = this.#listeners.get(addr)
    if (to === undefined || !to.reachable() || (from !== undefined && !from.reachable())) return null
    return to.server
  }
}
