// The scenario catalogue: every scenario the main job runs, one file each in this folder (its default
// export), loaded in file-name order so that adding a scenario is adding a file.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Scenario } from '../scenario-schema.ts'

const here = dirname(fileURLToPath(import.meta.url))
const files = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .sort()

const loaded: Scenario[] = []
for (const file of files) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { default?: Scenario }
  if (module.default === undefined) throw new Error(`catalogue failed: ${file} has no default export`)
  if (`${module.default.name}.ts` !== file) throw new Error(`catalogue failed: ${file} holds scenario ${module.default.name}; name the file after it`)
  loaded.push(module.default)
}

export const CATALOGUE: readonly Scenario[] = loaded

/** The catalogue scenario called `name`, or undefined. */
export function catalogueScenario(name: string): Scenario | undefined {
  return CATALOGUE.find((s) => s.name === name)
}
