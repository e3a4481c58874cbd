import { describe, expect, it } from 'vitest'
import { renderHtmlReport } from '../../../scenarios/report/html.ts'
import { handRun, handTrace, I1, instanceRow, P1, vmmRow } from './hand-trace.ts'

const attack = '<script>alert("x")</script>'

describe('renderHtmlReport', () => {
  it('escapes every piece of text from the run: notes, names, descriptions, messages and fields', () => {
    const trace = handTrace([0, 'note', { text: attack }], [1, 'db.record', instanceRow('no_vmm', 2, null, 'insert')], [2, `x.${attack}`, { detail: attack }])
    const run = handRun(trace, {
      name: attack,
      description: attack,
      names: { [I1]: attack },
      passed: false,
      failures: [{ step: 0, kind: attack, message: attack }],
      violations: [{ invariant: 'record_constraints', at: 1, subject: `instance ${I1}`, message: attack }],
    })

    const html = renderHtmlReport({ title: attack, scenarios: [run] })

    expect(html).not.toContain('<script>alert')
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    expect(html.match(/<script>/g)).toHaveLength(1)
  })

  it('is one self-contained file: nothing is loaded from anywhere', () => {
    const html = renderHtmlReport({ title: 't', scenarios: [handRun(handTrace([0, 'note', { text: 'https://example.com/x.js' }]))] })

    expect(html).not.toMatch(/<link|<img|<iframe|@import|url\(|src=|href="(?!#)/i)
    expect(html).toMatch(/^<!doctype html>/)
  })

  it('draws a lane per instance and per VMM, with states, generations and a mark per call', () => {
    const trace = handTrace(
      [0, 'db.record', instanceRow('no_vmm', 2, null, 'insert')],
      [0, 'db.record', vmmRow(P1, 'starting', 2, 'insert')],
      [0, 'db.record', instanceRow('vmm', 3, P1)],
      [0, 'http.request', { exchange: 0, from: 'nexus', to: 'sled-agent:sled-1', method: 'PUT', path: `/vmms/${P1}`, operation: 'vmm_register' }],
      [0, 'http.response', { exchange: 0, status: 200 }],
      [4000, 'db.record', vmmRow(P1, 'running', 5)],
    )

    const html = renderHtmlReport({ title: 't', scenarios: [handRun(trace, { names: { [I1]: 'db1' }, endedAt: 20_000 })] })

    expect(html.match(/class="lane-label /g)).toHaveLength(3)
    expect(html).toContain('>db1 · vmm 11111111<')
    expect(html).toContain('>running g5<')
    expect(html).toContain(`PUT /vmms/${P1} → 200`)
  })

  it('gives the same bytes for the same report', () => {
    const run = handRun(handTrace([0, 'note', { text: 'a' }], [5, 'db.record', vmmRow(P1, 'running', 5, 'insert')]))

    expect(renderHtmlReport({ title: 't', scenarios: [run] })).toBe(renderHtmlReport({ title: 't', scenarios: [run] }))
  })
})
