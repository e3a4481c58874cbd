// Where each tick goes along the shared time axis. The axis is ordinal within an instant and
// compressed between instants: ticks at one virtual time stand side by side (a row never holds two
// at one x, and order across rows is kept), and a quiet stretch gets a width that grows with its log.
// Task runs that found nothing are minor: they take a slot but do not stretch the axis.
import { formatElapsed } from '../../sim/kernel/time.ts'
import type { LaneModel } from './lane-model.ts'

/** Width of one tick's slot, px. */
export const SLOT = 10
const LEFT = 16
const RIGHT = 28
const LABEL_SPACING = 64

export interface LaneLayout {
  /** The centre x of each tick, px. */
  readonly x: readonly number[]
  /** Where open segments end (the end of the run). */
  readonly endX: number
  readonly width: number
  /** Time labels, at the first tick of an instant, where there is room. */
  readonly axis: readonly { readonly x: number; readonly label: string }[]
}

/** Width of the gap between two instants `dt` ms apart, times `scale`. */
export function gapWidth(dt: number, scale = 1): number {
  return Math.round(scale * Math.min(140, SLOT * 1.5 + 34 * Math.log10(1 + dt / 50)))
}

/**
 * The layout, with the gaps between instants widened (up to 6 times) so that a short run still
 * fills `minWidth` px and its segments have room for their text.
 */
export function layoutLanes(model: LaneModel, minWidth = 1000): LaneLayout {
  const natural = layoutAt(model, 1)
  if (natural.width >= minWidth) return natural
  let [low, high] = [1, 6]
  if (layoutAt(model, high).width <= minWidth) return layoutAt(model, high)
  for (let i = 0; i < 12; i += 1) {
    const mid = (low + high) / 2
    if (layoutAt(model, mid).width <= minWidth) low = mid
    else high = mid
  }
  return layoutAt(model, low)
}

function layoutAt(model: LaneModel, scale: number): LaneLayout {
  const { rows, minor } = rowsOfTicks(model)
  const x: number[] = []
  const lastInRow = new Map<string, number>()
  const axis: { x: number; label: string }[] = []
  let previous: { at: number; x: number } | null = null
  let lastMajor: { at: number; x: number } | null = null
  for (const [i, tick] of model.ticks.entries()) {
    const newInstant = previous === null || tick.at !== previous.at
    let at: number = previous?.x ?? LEFT
    if (previous !== null && newInstant) {
      const stretch = minor[i] === true || lastMajor === null ? 0 : lastMajor.x + gapWidth(tick.at - lastMajor.at, scale)
      at = Math.max(previous.x + SLOT * 2, stretch)
    }
    for (const row of rows[i] ?? []) at = Math.max(at, (lastInRow.get(row) ?? -Infinity) + SLOT)
    for (const row of rows[i] ?? []) lastInRow.set(row, at)
    x.push(at)
    if (newInstant && (axis.at(-1)?.x ?? -Infinity) <= at - LABEL_SPACING) axis.push({ x: at, label: formatElapsed(tick.at) })
    previous = { at: tick.at, x: at }
    if (minor[i] !== true) lastMajor = previous
  }
  const endX = previous === null ? LEFT + SLOT * 4 : previous.x + Math.max(SLOT * 2, gapWidth(model.endAt - previous.at, scale))
  return { x, endX, width: endX + RIGHT, axis }
}

/** The rows (a lane's band, or its mark row) each tick draws in, and which ticks are minor. */
function rowsOfTicks(model: LaneModel): { rows: string[][]; minor: boolean[] } {
  const rows: string[][] = model.ticks.map(() => [])
  const minor: boolean[] = model.ticks.map(() => false)
  const major = new Set<number>()
  for (const lane of model.lanes) {
    lane.bands.forEach((band, b) => {
      for (const s of band.segments) {
        rows[s.tick]?.push(`${lane.id}#${b}`)
        major.add(s.tick)
      }
    })
    for (const m of lane.marks) {
      rows[m.tick]?.push(`${lane.id}#marks`)
      if (m.tone === 'quiet') minor[m.tick] = true
      else major.add(m.tick)
    }
  }
  for (const tick of major) minor[tick] = false
  return { rows, minor }
}
