// The architecture rules of DESIGN.md §3 and §7 as a checker over source text: which layer may
// import which, who may import msw, and that only sim/kernel/ reads time or randomness.
import { readdirSync, readFileSync } from 'node:fs'
import { join, posix, relative } from 'node:path'

export interface Violation {
  readonly file: string
  readonly rule: string
  readonly detail: string
}

/** Folders whose TypeScript is checked, relative to the repository root. */
export const CHECKED_ROOTS = ['sim', 'nexus', 'scenarios', 'test', 'bench'] as const

// Each pattern runs on source with comments and quoted strings blanked out, so naming an API in a
// comment or an error message is not a use of it. The patterns are written as strings for the same
// reason: blanked, this file does not match itself.
const NONDETERMINISTIC_APIS: readonly (readonly [string, RegExp])[] = (
  [
    ['Date.now()', '\\bDate\\s*\\.\\s*now\\s*\\('],
    ['new Date() without arguments', '\\bnew\\s+Date\\s*\\(\\s*\\)'],
    ['Math.random()', '\\bMath\\s*\\.\\s*random\\s*\\('],
    ['a global timer (setTimeout/setInterval/setImmediate)', '(^|[^.\\w$])(setTimeout|setInterval|setImmediate)\\s*\\('],
    ['a global timer through globalThis', '\\bglobalThis\\s*\\.\\s*(setTimeout|setInterval|setImmediate)\\b'],
    ['crypto randomness', '\\b(randomUUID|getRandomValues|randomBytes|randomInt)\\b'],
    ['performance.now()', '\\bperformance\\s*\\.\\s*now\\s*\\('],
    ['process.hrtime', '\\bprocess\\s*\\.\\s*hrtime\\b'],
    ['AbortSignal.timeout', '\\bAbortSignal\\s*\\.\\s*timeout\\b'],
    ["luxon's global Settings.now", '\\bSettings\\s*\\.\\s*now\\b'],
    ['vitest fake timers', '\\bvi\\s*\\.\\s*useFakeTimers\\b'],
    ["XState's SimulatedClock", '\\bSimulatedClock\\b'],
  ] as const
).map(([name, pattern]) => [name, new RegExp(pattern, 'm')] as const)

const BANNED_MODULES: readonly (readonly [string, RegExp])[] = [
  ['node timers', /^(node:)?timers(\/promises)?$/],
  ['node perf_hooks', /^(node:)?perf_hooks$/],
]

const MSW_IMPORTERS = [/^sim\/interception\.ts$/, /^sim\/sled-agent\/handlers\//, /^nexus\/api\//]
const NEXUS_MAY_IMPORT_FROM_SIM = [/^sim\/kernel\//, /^sim\/sled-agent\/api\//]

/** Checks one file, given its repo-relative path (with `/`) and its text. */
export function checkSource(file: string, text: string): Violation[] {
  const violations: Violation[] = []
  const add = (rule: string, detail: string): void => {
    violations.push({ file, rule, detail })
  }

  for (const { specifier, importsDelay } of importSpecifiers(text)) {
    const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)) : null
    if (target === null) {
      if (/^msw(\/|$)/.test(specifier) && !MSW_IMPORTERS.some((re) => re.test(file))) {
        add('only sim/interception.ts and the HTTP handlers import msw', specifier)
      }
      if (specifier === 'msw' && importsDelay) add("msw's delay() uses real timers", 'delay')
      const banned = BANNED_MODULES.find(([, re]) => re.test(specifier))
      if (banned !== undefined && !file.startsWith('sim/kernel/')) add('only sim/kernel/ reads time or randomness', banned[0])
      continue
    }
    if (file.startsWith('sim/') && target.startsWith('nexus/')) add('sim/ never imports nexus/', specifier)
    if (file.startsWith('sim/kernel/') && !target.startsWith('sim/kernel/')) add('sim/kernel/ imports nothing outside itself', specifier)
    if (file.startsWith('nexus/') && target.startsWith('sim/') && !NEXUS_MAY_IMPORT_FROM_SIM.some((re) => re.test(target))) {
      add('nexus/ imports from sim/ only sim/kernel/ and sim/sled-agent/api/', specifier)
    }
  }

  if (!file.startsWith('sim/kernel/')) {
    const code = blankCommentsAndStrings(text)
    for (const [name, re] of NONDETERMINISTIC_APIS) {
      if (re.test(code)) add('only sim/kernel/ reads time or randomness', name)
    }
  }
  return violations
}

const COMMENT_OR_STRING = /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"/g

/**
 * Every module specifier of a static import, re-export, side-effect import or dynamic import: a
 * string literal that code (not another string) introduces with `from`, `import` or `import(`.
 */
export function importSpecifiers(text: string): { specifier: string; importsDelay: boolean }[] {
  const code = blankCommentsAndStrings(text)
  const found: { specifier: string; importsDelay: boolean }[] = []
  for (const match of text.matchAll(COMMENT_OR_STRING)) {
    const literal = match[0]
    if (!(literal.startsWith("'") || literal.startsWith('"'))) continue
    const before = code.slice(0, match.index)
    if (!/\b(from|import)\s*\(?\s*$/.test(before)) continue
    const statement = before.slice(before.lastIndexOf('import'))
    found.push({ specifier: literal.slice(1, -1), importsDelay: /\{[^}]*\bdelay\b[^}]*\}/.test(statement) })
  }
  return found
}

/** Replaces comments and the contents of '…' and "…" strings with spaces, keeping line breaks. */
export function blankCommentsAndStrings(text: string): string {
  return text.replace(COMMENT_OR_STRING, (m) => m.replace(/[^\n]/g, ' '))
}

/** Checks every .ts file under the checked roots of `repoRoot`. */
export function checkTree(repoRoot: string): { files: number; violations: Violation[] } {
  const files = CHECKED_ROOTS.flatMap((root) => listTs(join(repoRoot, root)))
  const violations = files.flatMap((path) => checkSource(relative(repoRoot, path).split('\\').join('/'), readFileSync(path, 'utf8')))
  return { files: files.length, violations }
}

function listTs(dir: string): string[] {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return [] // a root that does not exist yet has nothing to check
  }
  return entries
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listTs(path)
      return entry.name.endsWith('.ts') ? [path] : []
    })
}

