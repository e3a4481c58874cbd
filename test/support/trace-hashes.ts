// Prints the trace hash of every catalogue scenario as JSON: run in a second process by the
// determinism test, so that the hashes are compared across processes as well as within one.
import { CATALOGUE } from '../../scenarios/catalog/index.ts'
import { runScenario } from '../../scenarios/run.ts'

const hashes: Record<string, string> = {}
for (const scenario of CATALOGUE) hashes[scenario.name] = (await runScenario(scenario)).traceHash
process.stdout.write(`${JSON.stringify(hashes)}\n`)
