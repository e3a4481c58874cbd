// The scenario catalogue: every scenario the main job runs, one file each under this folder.
// The testbed issue fills it; until then it is empty and the main job says so.

/** A catalogue entry, as `testbed list` shows it. */
export interface CatalogueEntry {
  readonly name: string
  readonly description: string
}

export const CATALOGUE: readonly CatalogueEntry[] = []
