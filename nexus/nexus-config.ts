// Nexus's configuration: the behaviour flags of DESIGN.md §2, each at Omicron's shipping value by
// default, so a scenario can show a bug and its fix side by side.

export interface NexusFlags {
  /** How sled-agents report VMM state: the upcall with a body, or a doorbell after which Nexus pulls. */
  readonly propagation: 'upcall' | 'doorbell'
  /** Record why a start saga failed on the instance and show it in the view (omicron#9185). */
  readonly recordStartFailures: boolean
  /** What an unwound start leaves the instance as; 'failed' lets auto-restart retry it (omicron#7727). */
  readonly unwoundStartLeaves: 'stopped' | 'failed'
  /** The pre-2024 rule: any non-400 sled-agent error fails the instance (omicron#4226). */
  readonly failOnAnySledAgentError: boolean
}

export const SHIPPING_FLAGS: NexusFlags = {
  propagation: 'upcall',
  recordStartFailures: false,
  unwoundStartLeaves: 'stopped',
  failOnAnySledAgentError: false,
}
