// The HTML report: one self-contained file (inline CSS and a few lines of script, nothing fetched)
// with, per scenario, a summary, swimlanes per instance and VMM on a shared virtual-time axis, and
// the full event table. Deterministic: timestamps are the run's clock epoch plus virtual time.
import { formatElapsed, formatIso } from '../../sim/kernel/time.ts'
import { esc } from './escape-html.ts'
import { renderLegend } from './html-legend.ts'
import { STYLES, SCRIPT } from './html-styles.ts'
import { renderLanes } from './html-svg.ts'
import { renderEventTable } from './html-table.ts'
import { layoutLanes } from './lane-layout.ts'
import { buildLaneModel } from './lanes.ts'
import type { CatalogueReport, ScenarioRunReport } from './report-model.ts'

export function renderHtmlReport(report: CatalogueReport): string {
  const passed = report.scenarios.filter((s) => s.passed).length
  const failed = report.scenarios.length - passed
  const index = report.scenarios
    .map((s, i) => `<li><a href="#scenario-${i + 1}">${badge(s.passed)} ${esc(s.name)}</a></li>`)
    .join('')
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(report.title)}</title><style>${STYLES}</style></head><body>`,
    `<header><h1>${esc(report.title)}</h1>`,
    `<p class="sub">${report.scenarios.length} scenario${report.scenarios.length === 1 ? '' : 's'} · ${passed} passed · ${failed} failed</p>`,
    report.scenarios.length > 1 ? `<ul class="index">${index}</ul>` : '',
    '</header>',
    renderLegend(),
    ...report.scenarios.map((s, i) => renderScenario(s, `scenario-${i + 1}`)),
    `<script>${SCRIPT}</script></body></html>`,
    '',
  ].join('\n')
}

function renderScenario(run: ScenarioRunReport, sid: string): string {
  const model = buildLaneModel(run)
  return [
    `<section class="scenario ${run.passed ? 'passed' : 'failed'}" id="${sid}">`,
    `<h2>${badge(run.passed)} ${esc(run.name)}</h2>`,
    run.description === '' ? '' : `<p class="desc">${esc(run.description)}</p>`,
    facts(run),
    problems(run),
    renderLanes(model, layoutLanes(model)),
    renderEventTable(run, sid, model.laneOf),
    '</section>',
  ].join('\n')
}

function badge(passed: boolean): string {
  return passed ? '<span class="badge pass">PASS</span>' : '<span class="badge fail">FAIL</span>'
}

function facts(run: ScenarioRunReport): string {
  const items: [string, string][] = [
    ['seed', `<code>${run.seed}</code>`],
    ['events', String(run.trace.length)],
    ['ran for', `${esc(formatElapsed(run.endedAt))} virtual`],
    ['clock epoch', esc(formatIso(run.epochMs))],
    ['failures', String(run.failures.length)],
    ['violations', String(run.violations.length)],
    ['trace hash', `<span class="hash" title="SHA-256 of the canonical JSONL trace">${esc(run.traceHash)}</span>`],
  ]
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`
}

function problems(run: ScenarioRunReport): string {
  if (run.failures.length === 0 && run.violations.length === 0) return ''
  const failures = run.failures.map((f) => `<li><b>${f.step === null ? 'run' : `step ${f.step}`}</b> <code>${esc(f.kind)}</code>: ${esc(f.message)}</li>`)
  const violations = run.violations.map((v) => {
    const expected = run.expectedViolations.includes(v.invariant)
    const tag = expected ? '<span class="tag">expected</span>' : '<span class="tag bad">unexpected</span>'
    return `<li>${tag} <code>${esc(v.invariant)}</code> at ${esc(formatElapsed(v.at))} · ${esc(v.subject)}: ${esc(v.message)}</li>`
  })
  return (
    '<div class="problems">' +
    (failures.length === 0 ? '' : `<h3>Failures</h3><ul>${failures.join('')}</ul>`) +
    (violations.length === 0 ? '' : `<h3>Invariant violations</h3><ul>${violations.join('')}</ul>`) +
    '</div>'
  )
}
