import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { writeReports } from '../../../scenarios/report/index.ts'
import { VirtualClock } from '../../../sim/kernel/clock.ts'
import { Trace } from '../../../sim/kernel/trace.ts'
import { handRun, handTrace, P1 } from './hand-trace.ts'

let dir = ''
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('writeReports', () => {
  it("writes a run's HTML report, and its trace as the canonical JSONL its trace hash is taken over", async () => {
    dir = mkdtempSync(join(tmpdir(), 'report-'))
    const clock = new VirtualClock()
    const trace = new Trace(clock)
    trace.record('note', { text: 'a' })
    await clock.advance(1500)
    trace.record('note', { text: 'b' })
    const run = handRun(trace.events(), { traceHash: trace.hash() })
    const paths = { html: join(dir, 'out', 'report.html'), trace: join(dir, 'trace.jsonl') }

    const written = writeReports(paths, run)

    expect(written).toEqual([paths.html, paths.trace])
    expect(readFileSync(paths.html, 'utf8')).toMatch(/^<!doctype html>/)
    expect(readFileSync(paths.trace, 'utf8')).toBe('{"at":0,"kind":"note","seq":0,"text":"a"}\n{"at":1500,"kind":"note","seq":1,"text":"b"}\n')
    expect(createHash('sha256').update(readFileSync(paths.trace)).digest('hex')).toBe(run.traceHash)
  })

  it("tags each line of a catalogue's trace with its scenario, keys sorted", () => {
    dir = mkdtempSync(join(tmpdir(), 'report-'))
    const run = handRun(handTrace([0, 'sled-agent.vmm', { sled: 'sled-1', propolis: P1, state: 'running', gen: 5, phase: 'active' }]))

    writeReports({ trace: join(dir, 'trace.jsonl') }, { title: 't', scenarios: [run] })

    expect(readFileSync(join(dir, 'trace.jsonl'), 'utf8')).toBe(
      `{"at":0,"gen":5,"kind":"sled-agent.vmm","phase":"active","propolis":"${P1}","scenario":"hand","seq":0,"sled":"sled-1","state":"running"}\n`,
    )
  })

  it('writes nothing it is not asked for', () => {
    dir = mkdtempSync(join(tmpdir(), 'report-'))

    expect(writeReports({}, { title: 't', scenarios: [] })).toEqual([])
  })
})
