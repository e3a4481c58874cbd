// `testbed`: the command line. `list` names the catalogue; `run` runs it and prints a summary.
import { parseArgs } from 'node:util'
import { CATALOGUE } from './catalog/index.ts'

const USAGE = `usage: testbed <command>

commands:
  list        name every scenario in the catalogue
  run         run the catalogue and print a summary
`

export function main(argv: readonly string[]): number {
  const { positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true })
  const [command] = positionals
  switch (command) {
    case 'list':
      for (const entry of CATALOGUE) process.stdout.write(`${entry.name}  ${entry.description}\n`)
      process.stdout.write(`${CATALOGUE.length} scenarios\n`)
      return 0
    case 'run':
      // Honest placeholder: the runner and its scenarios arrive with the testbed issue (#6).
      process.stdout.write(`catalogue: ${CATALOGUE.length} scenarios (none written yet)\n0 passed, 0 failed\n`)
      return 0
    default:
      process.stderr.write(command === undefined ? USAGE : `testbed: unknown command '${command}'\n\n${USAGE}`)
      return 2
  }
}

process.exitCode = main(process.argv.slice(2))
