// The background tasks Nexus runs and how often: the names `tb.activate` takes and Omicron's
// production periods. Mirrors: omicron smf/nexus/multi-sled/config-partial.toml@b848b6d.

export const BACKGROUND_TASKS = ['instance_watcher', 'instance_updater', 'instance_reincarnation', 'abandoned_vmm_reaper'] as const
export type BackgroundTaskName = (typeof BACKGROUND_TASKS)[number]

/** Production periods (smf/nexus config-partial.toml); the updater runs on the watcher's period, a quirk kept. */
export const DEFAULT_PERIODS: Readonly<Record<BackgroundTaskName, number>> = {
  instance_watcher: 30_000,
  instance_updater: 30_000,
  instance_reincarnation: 60_000,
  abandoned_vmm_reaper: 60_000,
}
