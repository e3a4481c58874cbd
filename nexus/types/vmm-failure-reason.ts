// Why Nexus holds a VMM as failed. Not part of any HTTP wire and not shown in the external API.
// Mirrors: omicron nexus/types/src/instance.rs@b848b6d (`VmmFailureReason`).

export const VMM_FAILURE_REASONS = ['prehistoric', 'from_sled_agent', 'no_such_instance', 'sled_expunged', 'sled_off'] as const
export type VmmFailureReason = (typeof VMM_FAILURE_REASONS)[number]

const DESCRIPTIONS = {
  /** Failed before reasons were recorded: migrated rows, a failed row with a NULL reason. */
  prehistoric: 'VMM failed prior to recorded history',
  /** A sled-agent reported `failed`, by any path. */
  from_sled_agent: 'failed VMM state received from sled-agent',
  /** A sled-agent call returned 404 `NO_SUCH_INSTANCE`: the sled no longer has the VMM. */
  no_such_instance: 'VMM no longer present on sled',
  /** The instance watcher found the VMM's sled expunged. */
  sled_expunged: 'the sled this VMM was running on has been expunged',
  /** The sled-agent was unreachable and the sled was confirmed not powered on. */
  sled_off: 'the sled this VMM was running on powered off',
} as const satisfies Record<VmmFailureReason, string>

/** Omicron's `VmmFailureReason::description()`. */
export function describeVmmFailureReason(reason: VmmFailureReason): string {
  return DESCRIPTIONS[reason]
}

export function isVmmFailureReason(value: string): value is VmmFailureReason {
  return (VMM_FAILURE_REASONS as readonly string[]).includes(value)
}
