import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runKernelProbe, type ProbeResult } from '../../support/kernel-probe.ts'

const probePath = fileURLToPath(new URL('../../support/kernel-probe.ts', import.meta.url))

function runProbeInNewProcess(seed: number): ProbeResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', probePath, String(seed)], { encoding: 'utf8' })
  return JSON.parse(out) as ProbeResult
}

describe('kernel determinism', () => {
  it('produces the same trace from the same seed twice in one process', async () => {
    const first = await runKernelProbe(42)
    const second = await runKernelProbe(42)

    expect(first.events).toBe(300)
    expect(second).toEqual(first)
  })

  it('produces a different trace from a different seed', async () => {
    expect((await runKernelProbe(43)).hash).not.toBe((await runKernelProbe(42)).hash)
  })

  it('produces the same trace in two separate processes as inside vitest', async () => {
    const inProcess = await runKernelProbe(42)

    const a = runProbeInNewProcess(42)
    const b = runProbeInNewProcess(42)

    expect(a).toEqual(inProcess)
    expect(b).toEqual(inProcess)
  }, 30_000)
})
