// The connection between a migration's target and source propolis-servers (the websocket the
// target opens on the source): it relays each side's messages to the other, consults the network
// before every relay, and fails both sides when either one fails or the network parts them.
// Mirrors: propolis bin/propolis-server/src/lib/migrate/{mod,source,destination}.rs@372a574.
import type { MigrationUuid } from '../kernel/ids.ts'
import type { PropolisEvent } from './events.ts'
import type { FaultablePhase, MigrationSide } from './migration-phases.ts'
import type { PropolisNetwork, PropolisServerHandle } from './types.ts'

/** The peer messages a link carries, and the fault it arms on the target. */
export type PeerEvent = Extract<PropolisEvent, { type: 'PEER_STARTED' | 'PEER_READY' | 'PEER_OK' | 'PEER_FAILED' | 'ARM_MIGRATION_FAULT' }>

/** A `failNextMigration` fault waiting for the next migration its server takes part in. */
export interface ArmedMigrationFault {
  readonly side: MigrationSide
  readonly phase: FaultablePhase
}

/** What the link needs from each server. */
export interface MigrationPort {
  readonly addr: string
  /** Hands a peer message to this server's machine. */
  receive(event: PeerEvent): void
  /** Takes this server's armed migration fault, if any. */
  takeFault(): ArmedMigrationFault | null
  /** As the target: this link is the migration being set up. */
  adopt(link: MigrationLink): void
  /** As the source: the target's websocket asks to migrate out; a refusal fails the link. */
  acceptMigrateOut(link: MigrationLink, faultPhase: FaultablePhase | null): void
}

/** How a link finds a server's port on a handle the network returned (null: not a simulated server). */
export type PortOf = (handle: PropolisServerHandle) => MigrationPort | null

export class MigrationLink {
  readonly migrationId: MigrationUuid
  readonly source: MigrationPort
  readonly target: MigrationPort
  readonly #network: PropolisNetwork
  readonly #portOf: PortOf
  #open = true

  constructor(options: { migrationId: MigrationUuid; source: MigrationPort; target: MigrationPort; network: PropolisNetwork; portOf: PortOf }) {
    this.migrationId = options.migrationId
    this.source = options.source
    this.target = options.target
    this.#network = options.network
    this.#portOf = options.portOf
  }

  get open(): boolean {
    return this.#open
  }

  sideOf(port: MigrationPort): MigrationSide {
    return port === this.source ? 'source' : 'target'
  }

  /** The target can still reach the source (the network is consulted on every call). */
  reachable(): boolean {
    const handle = this.#network.connect(this.target.addr, this.source.addr)
    return handle !== null && this.#portOf(handle) === this.source
  }

  /** Relays `event` to `to`, unless the link is closed; a parted network fails both sides instead. */
  deliver(to: MigrationSide, event: PeerEvent): void {
    if (!this.#open) return
    if (!this.reachable()) {
      this.fail('the connection between source and target was lost')
      return
    }
    this.#port(to).receive(event)
  }

  /** Checks the network; if it parted the two servers, both sides fail. */
  check(): void {
    if (this.#open && !this.reachable()) this.fail('the connection between source and target was lost')
  }

  /** Closes the link and fails, with `reason`, every side but the one that already failed. */
  fail(reason: string, failedSide?: MigrationSide): void {
    if (!this.#open) return
    this.#open = false
    for (const side of ['source', 'target'] as const) {
      if (side !== failedSide) this.#port(side).receive({ type: 'PEER_FAILED', reason })
    }
  }

  /** The migration is over (the source has said OK): later failures no longer concern the peer. */
  close(): void {
    this.#open = false
  }

  #port(side: MigrationSide): MigrationPort {
    return side === 'source' ? this.source : this.target
  }
}

/**
 * The target's side of `PUT /instance` with MigrationTarget: dial the source, open the link, route
 * each server's armed fault to the side it names (whichever server it was set on), and ask the
 * source to migrate out. An unreachable source fails the target's sync.
 */
export function dialSource(
  target: MigrationPort,
  options: { migrationId: MigrationUuid; sourceAddr: string; network: PropolisNetwork; portOf: PortOf },
): void {
  const handle = options.network.connect(target.addr, options.sourceAddr)
  const source = handle === null ? null : options.portOf(handle)
  if (source === null || source === target) {
    target.receive({ type: 'PEER_FAILED', reason: `cannot reach the source at ${options.sourceAddr}` })
    return
  }
  const link = new MigrationLink({ migrationId: options.migrationId, source, target, network: options.network, portOf: options.portOf })
  target.adopt(link)
  const faults = [target.takeFault(), source.takeFault()]
  const phaseFor = (side: MigrationSide) => faults.find((fault) => fault?.side === side)?.phase ?? null
  const targetPhase = phaseFor('target')
  if (targetPhase !== null) target.receive({ type: 'ARM_MIGRATION_FAULT', phase: targetPhase })
  source.acceptMigrateOut(link, phaseFor('source'))
}
