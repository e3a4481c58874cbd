// Durations (virtual ms) of the sled-agent's own work, and the limits it enforces.
// Mirrors: omicron sled-agent/src/instance.rs@b848b6d (STOP_GRACE_PERIOD, the request queue depth).

export interface SledAgentTiming {
  /** Propolis zone setup (OPTE ports, zone boot, SMF service up) before the first ensure. */
  readonly zoneSetupMs: number
  /** Removing a Propolis zone. */
  readonly zoneTeardownMs: number
  /** How long a stop may take before the runner destroys the zone itself (10 minutes). */
  readonly stopGraceMs: number
  /** How long a sled-agent restart keeps the agent unreachable. */
  readonly agentRestartMs: number
  /** How long a sled takes from power-on until its sled-agent answers. */
  readonly sledBootMs: number
}

export const DEFAULT_SLED_AGENT_TIMING: SledAgentTiming = {
  zoneSetupMs: 1500,
  zoneTeardownMs: 500,
  stopGraceMs: 10 * 60 * 1000,
  agentRestartMs: 2000,
  sledBootMs: 60_000,
}

/** Requests to one VMM are serialised through a queue of this depth; more get 503 INSTANCE_CHANNEL_FULL. */
export const VMM_REQUEST_QUEUE_DEPTH = 32
