import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { blankCommentsAndStrings, checkSource, checkTree, importSpecifiers } from './support/architecture.ts'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const rulesBroken = (file: string, text: string): string[] => checkSource(file, text).map((v) => `${v.rule}: ${v.detail}`)

describe('the architecture checker', () => {
  it.each([
    ['sim/propolis/machine.ts', "import { x } from '../../nexus/types/vmm-state.ts'", 'sim/ never imports nexus/'],
    ['sim/kernel/clock.ts', "import type { X } from '../sled-agent/api/index.ts'", 'sim/kernel/ imports nothing outside itself'],
    ['nexus/app/instance.ts', "import { Sled } from '../../sim/sled-agent/sled.ts'", 'nexus/ imports from sim/ only'],
    ['nexus/app/instance.ts', "const m = await import('../../sim/propolis/machine.ts')", 'nexus/ imports from sim/ only'],
    ['nexus/db/datastore.ts', "import { http } from 'msw'", 'only sim/interception.ts and the HTTP handlers import msw'],
    ['test/sim/x.test.ts', "import { setupServer } from 'msw/node'", 'only sim/interception.ts and the HTTP handlers import msw'],
    ['sim/sled-agent/handlers/vmm-get-state.ts', "import { http, delay } from 'msw'", "msw's delay() uses real timers"],
    ['nexus/sagas/start.ts', 'const t = Date.now()', 'Date.now()'],
    ['nexus/sagas/start.ts', 'const t = new Date()', 'new Date() without arguments'],
    ['sim/faults.ts', 'if (Math.random() < 0.5) fail()', 'Math.random()'],
    ['sim/sled-agent/sled.ts', 'setTimeout(() => report(), 10)', 'a global timer'],
    ['scenarios/run.ts', 'await new Promise((r) => setImmediate(r))', 'a global timer'],
    ['scenarios/run.ts', 'globalThis.setInterval(tick, 5)', 'a global timer through globalThis'],
    ['nexus/app/ids.ts', "import { randomUUID } from 'node:crypto'", 'crypto randomness'],
    ['nexus/app/ids.ts', 'const id = crypto.randomUUID()', 'crypto randomness'],
    ['scenarios/cli.ts', 'const t0 = performance.now()', 'performance.now()'],
    ['scenarios/cli.ts', "import { setTimeout as sleep } from 'node:timers/promises'", 'node timers'],
    ['nexus/app/client.ts', 'fetch(url, { signal: AbortSignal.timeout(5000) })', 'AbortSignal.timeout'],
    ['nexus/types/x.ts', 'Settings.now = () => 0', "luxon's global Settings.now"],
    ['test/nexus/x.test.ts', 'vi.useFakeTimers()', 'vitest fake timers'],
    ['sim/world.ts', 'const clock = new SimulatedClock()', "XState's SimulatedClock"],
  ])('catches %s doing %j', (file, text, expected) => {
    expect(rulesBroken(file, text).join('\n')).toContain(expected)
  })

  it.each([
    ['sim/kernel/clock.ts', 'setImmediate(resolve); const t = Date.now(); Math.random()'],
    ['sim/kernel/stopwatch.ts', "import { performance } from 'node:perf_hooks'"],
    ['nexus/app/instance.ts', "import type { PropolisUuid } from '../../sim/kernel/ids.ts'"],
    ['nexus/app/client.ts', "import { SledVmmStateSchema } from '../../sim/sled-agent/api/index.ts'"],
    ['sim/interception.ts', "import { setupServer } from 'msw/node'"],
    ['sim/sled-agent/handlers/vmm-register.ts', "import { http, HttpResponse } from 'msw'"],
    ['nexus/api/instances.ts', "import { http } from 'msw'"],
    ['sim/sled-agent/sled.ts', 'this.clock.setTimeout(() => report(), 10)'],
    ['nexus/app/errors.ts', "// Date.now() is never read here\nthrow new Error('do not call Math.random()')"],
    ['nexus/app/errors.ts', 'const d = new Date(ms)'],
  ])('allows %s doing %j', (file, text) => {
    expect(rulesBroken(file, text)).toEqual([])
  })

  it('ignores import statements that are only text inside a string', () => {
    expect(importSpecifiers("const fixture = \"import { http } from 'msw'\"")).toEqual([])
  })

  it('finds static, re-exported, side-effect and dynamic imports', () => {
    const text = "import a from './a.ts'\nexport * from './b.ts'\nimport './c.ts'\nconst d = await import('./d.ts')\nimport type {\n  E,\n} from './e.ts'"

    expect(importSpecifiers(text).map((i) => i.specifier).sort()).toEqual(['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts'])
  })

  it('blanks comments and strings but keeps line breaks', () => {
    expect(blankCommentsAndStrings("a // x\nb /* y\nz */ 'q' \"r\"")).toBe('a     \nb     \n            ')
  })
})

describe('the source tree', () => {
  it('keeps every import direction and leaves time and randomness to sim/kernel/', () => {
    const { files, violations } = checkTree(repoRoot)

    expect(files).toBeGreaterThan(20)
    expect(violations).toEqual([])
  })
})
