// The swimlanes of one run as HTML: a column of lane names beside one SVG on the shared time axis.
// Bands are state segments (`running g5`), marks are saga nodes, HTTP calls, faults, violations and
// task runs; every shape has a <title> (SVG's hover text) with the full details.
import { esc } from './escape-html.ts'
import type { Lane, LaneModel, Mark, SagaSpan, Segment } from './lane-model.ts'
import { assertNever } from '../../sim/kernel/assert-never.ts'
import type { LaneLayout } from './lane-layout.ts'
import { stateClass } from './html-styles.ts'

const AXIS_H = 26
const PAD_TOP = 6
const BAND_H = 18
const BAND_STEP = 21
const MARK_ROW_H = 22
const SPAN_LABEL_H = 12
const PAD_BOTTOM = 5
/** Width of one character of the 10px monospace font, for fitting text into segments. */
const CHAR_W = 6.1
const LIGHT_TEXT_STATES = new Set(['failed'])

interface Placed {
  readonly lane: Lane
  readonly top: number
  readonly height: number
  readonly markY: number
  readonly alt: boolean
}

/** At least the height of the two lines of the lane's name. */
const MIN_LANE_H = 40

export function laneHeight(lane: Lane): number {
  return Math.max(MIN_LANE_H, PAD_TOP + lane.bands.length * BAND_STEP + MARK_ROW_H + (lane.spans.length > 0 ? SPAN_LABEL_H : 0) + PAD_BOTTOM)
}

export function renderLanes(model: LaneModel, layout: LaneLayout): string {
  const placed: Placed[] = []
  let top = AXIS_H
  for (const [i, lane] of model.lanes.entries()) {
    const height = laneHeight(lane)
    placed.push({ lane, top, height, markY: top + PAD_TOP + lane.bands.length * BAND_STEP, alt: i % 2 === 1 })
    top += height
  }
  const names = placed.map(nameCell).join('')
  const svg = [
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${top}" viewBox="0 0 ${layout.width} ${top}" role="img" aria-label="swimlanes">`,
    ...placed.map((p) => `<rect class="lane-bg${p.alt ? ' alt' : ''}" x="0" y="${p.top}" width="${layout.width}" height="${p.height}"/><line class="lane-sep k-${p.lane.kind}" x1="0" x2="${layout.width}" y1="${p.top}" y2="${p.top}"/>`),
    axis(layout, top),
    ...placed.map((p) => `<g class="lane k-${p.lane.kind}" data-lane="${esc(p.lane.id)}">${bands(p, layout)}${spans(p, layout)}${marks(p, layout, 'under')}${marks(p, layout, 'over')}</g>`),
    wholeHeightLines(placed, layout, top),
    '</svg>',
  ].join('')
  return `<div class="lanes"><div class="lane-names"><div class="axis-head">lane · virtual time →</div>${names}</div><div class="lane-plot">${svg}</div></div>`
}

function nameCell(p: Placed): string {
  const tags = p.lane.bands
    .map((b, i) => `<span class="band-tag" style="top:${PAD_TOP + i * BAND_STEP}px" title="${esc(b.title)}">${esc(b.name)}</span>`)
    .join('')
  const markTag = `<span class="band-tag" style="top:${p.markY - p.top + 2}px">${p.lane.kind === 'vmm' ? 'calls' : 'events'}</span>`
  return `<div class="lane-label k-${p.lane.kind}${p.alt ? ' alt' : ''}" style="height:${p.height}px" title="${esc(p.lane.detail)}"><div class="name">${esc(p.lane.label)}</div><div class="kind">${esc(p.lane.caption)}</div>${tags}${markTag}</div>`
}

function axis(layout: LaneLayout, height: number): string {
  return [
    `<line class="axis-line" x1="0" x2="${layout.width}" y1="${AXIS_H - 0.5}" y2="${AXIS_H - 0.5}"/>`,
    ...layout.axis.map((a) => `<line class="grid" x1="${a.x}" x2="${a.x}" y1="${AXIS_H - 6}" y2="${height}"/><text class="axis-text" x="${a.x + 3}" y="${AXIS_H - 9}">${esc(a.label)}</text>`),
  ].join('')
}

function bands(p: Placed, layout: LaneLayout): string {
  return p.lane.bands
    .map((band, b) => {
      const y = p.top + PAD_TOP + b * BAND_STEP
      const bg = `<rect class="band-bg" x="0.5" y="${y + 0.5}" width="${layout.width - 1}" height="${BAND_H - 1}"/>`
      return bg + band.segments.map((s, i) => segment(s, band.segments[i + 1], y, layout)).join('')
    })
    .join('')
}

function segment(s: Segment, next: Segment | undefined, y: number, layout: LaneLayout): string {
  if (s.state === null) return ''
  const x0 = layout.x[s.tick] ?? 0
  const x1 = next === undefined ? layout.endX : (layout.x[next.tick] ?? layout.endX)
  const width = Math.max(2, x1 - x0)
  const full = s.gen === null ? s.state : `${s.state} g${s.gen}`
  const text = [full, s.state].find((t) => t.length * CHAR_W + 6 <= width) ?? ''
  const light = LIGHT_TEXT_STATES.has(s.state) ? ' light' : ''
  return (
    `<g><title>${esc(s.title)}</title><rect class="seg ${stateClass(s.state)}" x="${x0}" y="${y}" width="${width}" height="${BAND_H}" rx="2"/>` +
    (text === '' ? '' : `<text class="seg-text${light}" x="${x0 + 4}" y="${y + 13}">${esc(text)}</text>`) +
    '</g>'
  )
}

/** Saga bars, and under them one label per group of overlapping sagas (`start-instance-update › instance-update`). */
function spans(p: Placed, layout: LaneLayout): string {
  const sorted = [...p.lane.spans].sort((a, b) => a.fromTick - b.fromTick || a.toTick - b.toTick)
  const groups: SagaSpan[][] = []
  for (const s of sorted) {
    const last = groups.at(-1)
    if (last !== undefined && s.fromTick <= Math.max(...last.map((g) => g.toTick))) last.push(s)
    else groups.push([s])
  }
  const y = p.markY + 16
  return groups
    .map((group, i) => {
      const x0 = (layout.x[group[0]?.fromTick ?? 0] ?? 0) - 4
      const next = groups[i + 1]?.[0]
      const room = (next === undefined ? layout.width : (layout.x[next.fromTick] ?? layout.width) - 4) - x0
      const names = [...new Set(group.map((s) => s.name))].join(' › ')
      const worst = group.find((s) => s.outcome === 'stuck') ?? group.find((s) => s.outcome !== 'succeeded') ?? group[0]
      const text = fit(names, room, 5.6)
      const label = text === '' ? '' : `<text class="span-text${outcomeClass(worst)}" x="${x0}" y="${y + 13}">${esc(text)}</text>`
      return group.map((s) => spanBar(s, layout, y)).join('') + label
    })
    .join('')
}

function spanBar(s: SagaSpan, layout: LaneLayout, y: number): string {
  const x0 = (layout.x[s.fromTick] ?? 0) - 4
  const x1 = (layout.x[s.toTick] ?? 0) + 4
  return `<g class="saga-span"><title>${esc(s.title)}</title><rect class="span${outcomeClass(s)}" x="${x0}" y="${y}" width="${Math.max(3, x1 - x0)}" height="3" rx="1"/></g>`
}

function outcomeClass(s: SagaSpan | undefined): string {
  if (s === undefined) return ''
  return s.outcome === null ? ' open' : ` out-${esc(s.outcome)}`
}

/** Marks in two passes, so that faults and violations are drawn over the rest. */
function marks(p: Placed, layout: LaneLayout, pass: 'under' | 'over'): string {
  const over = (m: Mark): boolean => m.shape === 'fault' || m.shape === 'violation'
  return p.lane.marks
    .filter((m) => (pass === 'over') === over(m))
    .map((m) => {
      const seq = m.seq === null ? '' : ` data-seq="${m.seq}"`
      const x = layout.x[m.tick] ?? 0
      // A transparent slot-wide target, so a small mark is easy to hover and click.
      const [y0, y1] = m.shape === 'fault' || m.shape === 'violation' ? [p.top + 1, p.top + p.height - 1] : [p.markY, p.markY + MARK_ROW_H]
      const hit = `<rect class="hit" x="${x - 5}" y="${y0}" width="10" height="${y1 - y0}"/>`
      return `<g class="mk"${seq}><title>${esc(m.title)}</title>${hit}${shape(m, x, p)}</g>`
    })
    .join('')
}

function shape(m: Mark, x: number, p: Placed): string {
  const y = p.markY
  const tone = `t-${m.tone}`
  const label = (dx: number, red = false): string =>
    m.label === '' ? '' : `<text class="mk-label${red ? ' red' : ''}" x="${x + dx}" y="${y + 21}">${esc(m.label)}</text>`
  switch (m.shape) {
    case 'saga_node': {
      const big = m.tone === 'failed' || m.tone === 'undo'
      return big
        ? `<rect class="${tone}" x="${x - 4}" y="${y + 1}" width="8" height="14" rx="1"/><text class="glyph" x="${x - 3.2}" y="${y + 11}">${m.tone === 'undo' ? '↶' : '✕'}</text>`
        : `<rect class="${tone}" x="${x - 2.5}" y="${y + 3}" width="5" height="11" rx="1"/>`
    }
    case 'http_call':
    case 'http_upcall': {
      const points = m.shape === 'http_call' ? `${x - 4.5},${y + 3} ${x + 4.5},${y + 3} ${x},${y + 12}` : `${x - 4.5},${y + 12} ${x + 4.5},${y + 12} ${x},${y + 3}`
      const ring = m.tone === 'fault' ? `<circle class="ring" cx="${x}" cy="${y + 7.5}" r="7"/>` : ''
      return `${ring}<polygon class="${tone}" points="${points}"/>${label(-6, m.tone === 'fault' || m.tone === 'failed')}`
    }
    case 'fault':
      return (
        `<line class="fault-line" x1="${x}" x2="${x}" y1="${p.top + 2}" y2="${p.top + p.height - 2}"/>` +
        `<polygon class="t-fault" points="${x},${y} ${x + 6},${y + 7.5} ${x},${y + 15} ${x - 6},${y + 7.5}"/><text class="glyph" x="${x - 2.8}" y="${y + 11}">!</text>`
      )
    case 'violation':
      return (
        `<line class="violation-line" x1="${x}" x2="${x}" y1="${p.top + 1}" y2="${p.top + p.height - 1}"/>` +
        `<circle class="t-violation" cx="${x}" cy="${y + 7.5}" r="7"/><text class="glyph" x="${x - 1.8}" y="${y + 11}">!</text>`
      )
    case 'task':
      return `<circle class="${tone}" cx="${x}" cy="${y + 7.5}" r="4"/>`
    case 'crash':
      return `<path d="M${x - 5},${y + 2} L${x + 5},${y + 13} M${x + 5},${y + 2} L${x - 5},${y + 13}" stroke="#cf222e" stroke-width="3"/>${label(7, true)}`
    case 'restart':
      return `<circle class="t-ok" cx="${x}" cy="${y + 7.5}" r="5.5"/><text class="glyph" x="${x - 3}" y="${y + 10.5}">↻</text>${label(7)}`
    case 'note':
      return `<line x1="${x}" x2="${x}" y1="${y}" y2="${y + 15}" stroke="#57606a"/><polygon class="t-info" points="${x},${y} ${x + 7},${y + 3} ${x},${y + 6}"/><text class="note-text" x="${x + 9}" y="${y + 9}">${esc(fit(m.label, 220, 6.1))}</text>`
    case 'event':
      return `<circle class="${tone}" cx="${x}" cy="${y + 7.5}" r="3"/>`
    default:
      return assertNever(m.shape, 'mark shape')
  }
}

/** Nexus crashes and restarts touch every lane: a dashed line through all of them. */
function wholeHeightLines(placed: readonly Placed[], layout: LaneLayout, height: number): string {
  return placed
    .flatMap((p) => p.lane.marks.filter((m) => m.shape === 'crash' || m.shape === 'restart'))
    .map((m) => `<line class="${m.shape}-line" x1="${layout.x[m.tick] ?? 0}" x2="${layout.x[m.tick] ?? 0}" y1="${AXIS_H}" y2="${height}"/>`)
    .join('')
}

/** `text`, cut with `…` to fit `width` px at `charW` px a character ('' when not even 3 fit). */
function fit(text: string, width: number, charW: number): string {
  const n = Math.floor((width - 2) / charW)
  if (text.length <= n) return text
  return n < 4 ? '' : `${text.slice(0, n - 1)}…`
}
