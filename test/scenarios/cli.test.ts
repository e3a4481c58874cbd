// The command line, run as a user runs it: a separate process (`node --import tsx scenarios/cli.ts`),
// its output and its exit code. `serve` is reached from this process with a real fetch to 127.0.0.1;
// this file sets up no interception, so that request really crosses the loopback.
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const execFileP = promisify(execFile)
const CLI = ['--import', 'tsx', 'scenarios/cli.ts']

async function testbed(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [...CLI, ...args], { maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'testbed-cli-'))

describe('the testbed CLI', () => {
  it('lists the catalogue', async () => {
    const { code, stdout } = await testbed('list')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^happy-lifecycle\s+An instance is created/m)
    expect(stdout).toMatch(/^\d+ scenarios$/m)
  })

  it('runs named scenarios, writes the trace and the report, and exits 0 when all held', async () => {
    const trace = join(dir, 'out.jsonl')
    const report = join(dir, 'out.html')
    const { code, stdout } = await testbed('run', 'happy-lifecycle', '--trace', trace, '--report', report)
    expect(code).toBe(0)
    expect(stdout).toMatch(/^PASS {2}happy-lifecycle {2}\(seed 1, \d+ events/m)
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('1 passed, 0 failed')
    const first = JSON.parse(readFileSync(trace, 'utf8').split('\n')[0] ?? '') as { scenario: string; kind: string }
    expect(first).toMatchObject({ scenario: 'happy-lifecycle', seq: 0 })
    expect(readFileSync(report, 'utf8')).toMatch(/^<!DOCTYPE html>/i)
  }, 60_000)

  it('exits 1 and names the step when an assertion fails, and replays a file with its timeline', async () => {
    const shown = await testbed('show', 'happy-lifecycle')
    const scenario = JSON.parse(shown.stdout) as { steps: { step: string; runState?: string }[] }
    const bent = { ...scenario, steps: [...scenario.steps.slice(0, 1), { step: 'expectInstance', instance: 'web', runState: 'running' }] }
    const file = join(dir, 'bent.json')
    writeFileSync(file, JSON.stringify(bent))
    const { code, stdout } = await testbed('replay', file)
    expect(code).toBe(1)
    expect(stdout).toContain('FAIL  happy-lifecycle')
    expect(stdout).toContain('step 1 expectInstance: runState: expected running, got starting')
    expect(stdout).toContain('saga.started')
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('0 passed, 1 failed')
  }, 60_000)

  it('rejects a malformed scenario file with exit code 2, naming the step and field', async () => {
    const file = join(dir, 'malformed.json')
    writeFileSync(file, JSON.stringify({ name: 'm', description: 'd', seed: 1, config: {}, steps: [{ step: 'advance', by: 'a while' }] }))
    const { code, stderr } = await testbed('run', file)
    expect(code).toBe(2)
    expect(stderr).toContain('step 0 (advance): steps[0].by: expected a duration')
  })

  it('rejects an unknown scenario name and an unknown command', async () => {
    expect(await testbed('run', 'no-such-scenario')).toMatchObject({ code: 2, stderr: expect.stringContaining('no catalogue scenario called no-such-scenario') })
    expect(await testbed('frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'frobnicate'") })
  })

  it('serves the instance API of a finished scenario on 127.0.0.1', async () => {
    const child = spawn(process.execPath, [...CLI, 'serve', 'lost-vmm-found-by-watcher', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      const lines = createInterface({ input: child.stdout })
      let url = ''
      for await (const line of lines) {
        const match = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match?.[1] !== undefined) {
          url = match[1]
          break
        }
      }
      const list = await fetch(`${url}/v1/instances?project=default`)
      expect(list.status).toBe(200)
      const body = (await list.json()) as { items: { name: string; run_state: string }[] }
      expect(body.items.map((i) => [i.name, i.run_state])).toEqual([['web', 'running']])
      const missing = await fetch(`${url}/v1/instances/nope?project=default`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toMatchObject({ error_code: 'ObjectNotFound', message: 'not found: instance with name "nope"' })
    } finally {
      child.kill()
    }
  }, 60_000)
})
