// The full event list of one run as a collapsible HTML table: every event, including kinds the
// lanes do not draw, with its virtual time, its timestamp, the lane it went to and all its fields.
import { formatElapsed, formatIso } from '../../sim/kernel/time.ts'
import { renderEvent } from '../../sim/kernel/trace.ts'
import { esc } from './escape-html.ts'
import { fieldsOf, str, type EventFields } from './event-fields.ts'
import type { ScenarioRunReport } from './report-model.ts'

/** `laneOf` names the lane each drawn event went to, by seq. */
export function renderEventTable(run: ScenarioRunReport, sid: string, laneOf: ReadonlyMap<number, string>): string {
  const rows = run.trace.map((event) => {
    const e = fieldsOf(event)
    const line = renderEvent(event).trimStart()
    const fields = line.slice(`${formatElapsed(e.at)}  ${e.kind}`.length).trim()
    const tone = rowTone(e)
    return (
      `<tr id="${esc(sid)}-e${e.seq}"${tone === '' ? '' : ` class="${tone}"`}><td>${e.seq}</td><td>${esc(formatElapsed(e.at))}</td>` +
      `<td>${esc(formatIso(run.epochMs + e.at))}</td><td>${esc(e.kind)}</td><td>${esc(laneOf.get(e.seq) ?? '')}</td><td class="fields">${esc(fields)}</td></tr>`
    )
  })
  return (
    `<details class="events"><summary>All ${run.trace.length} events (click a mark in the lanes to jump to its row)</summary>` +
    `<input class="filter" type="search" placeholder="filter rows, e.g. fault or a propolis id" aria-label="filter events">` +
    `<table class="events"><thead><tr><th>seq</th><th>virtual</th><th>timestamp</th><th>kind</th><th>lane</th><th>fields</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></details>`
  )
}

function rowTone(e: EventFields): string {
  if (e.kind.startsWith('fault.') || /^fault \d+$/.test(str(e, 'cause') ?? '')) return 'r-fault'
  switch (e.kind) {
    case 'saga.node':
      return /failed/.test(str(e, 'event') ?? '') ? 'r-failed' : ''
    case 'saga.finished':
      return str(e, 'outcome') === 'succeeded' ? '' : 'r-failed'
    case 'nexus.crashed':
      return 'r-failed'
    default:
      return ''
  }
}
