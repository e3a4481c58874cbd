// The legend at the top of the HTML report: what each colour and shape in the lanes means, and how
// to read the time axis.
import { COLOURED_STATES, stateClass } from './html-styles.ts'

const svg = (body: string, width = 18): string => `<svg width="${width}" height="16" viewBox="0 0 ${width} 16" aria-hidden="true">${body}</svg>`

const MARKS: readonly (readonly [string, string])[] = [
  [svg('<rect class="t-ok" x="6.5" y="2" width="5" height="11" rx="1"/>'), 'saga node done'],
  [svg('<rect class="t-failed" x="5" y="1" width="8" height="14" rx="1"/><text class="glyph" x="5.8" y="11" fill="#fff" font-size="9">✕</text>'), 'saga node failed'],
  [svg('<rect class="t-undo" x="5" y="1" width="8" height="14" rx="1"/><text class="glyph" x="5.8" y="11" fill="#fff" font-size="9">↶</text>'), 'node undone'],
  [svg('<rect x="1" y="7" width="16" height="3" fill="#afb8c1"/>', 18) + svg('<rect x="1" y="7" width="16" height="3" fill="#e16f24"/>'), 'saga: succeeded / unwound (red: stuck)'],
  [svg('<polygon class="t-ok" points="4.5,3 13.5,3 9,12"/>'), 'call into a sled'],
  [svg('<polygon class="t-ok" points="4.5,12 13.5,12 9,3"/>'), 'sled-agent → Nexus'],
  [svg('<polygon class="t-warn" points="4.5,3 13.5,3 9,12"/>') + svg('<polygon class="t-failed" points="4.5,3 13.5,3 9,12"/>') + svg('<polygon class="t-pending" points="4.5,3 13.5,3 9,12"/>'), '4xx / 5xx or network error / no answer'],
  [svg('<polygon fill="#cf222e" points="9,1 15,8 9,15 3,8"/>'), 'injected fault (ringed: the call it answered)'],
  [svg('<circle fill="#82071e" cx="9" cy="8" r="7"/><text x="7.2" y="11.5" fill="#fff" font-size="9" font-weight="700">!</text>'), 'invariant violation'],
  [svg('<circle class="t-info" cx="9" cy="8" r="4"/>') + svg('<circle class="t-quiet" cx="9" cy="8" r="4"/>'), 'task run: did something / nothing to do'],
  [svg('<path d="M4,3 L14,13 M14,3 L4,13" stroke="#cf222e" stroke-width="3"/>'), 'Nexus crash'],
  [svg('<circle class="t-ok" cx="9" cy="8" r="5.5"/>'), 'restart / resume'],
  [svg('<circle class="t-info" cx="9" cy="8" r="3"/>') + svg('<circle class="t-warn" cx="9" cy="8" r="3"/>'), 'other event / warning'],
]

export function renderLegend(): string {
  const states = COLOURED_STATES.filter((s) => s !== 'no_vmm' && s !== 'vmm')
    .map((s) => `<span><span class="sw ${stateClass(s)}"></span>${s}</span>`)
    .join('')
  const marks = MARKS.map(([icon, text]) => `<span>${icon} ${text}</span>`).join('')
  return (
    `<section class="legend" aria-label="legend"><div class="group"><b>States</b>${states}</div><div class="group"><b>Marks</b>${marks}</div>` +
    '<div class="note">Each instance lane shows the state a user would see (from its records, with the record generation, e.g. <code>running g3</code>); ' +
    "each VMM lane shows Nexus's record and, below it, the sled-agent's own view, with the sled-agent's generation. " +
    'Time runs left to right in virtual time: events at one instant stand side by side in trace order, and quiet stretches are shortened, so distances are not to scale (the axis labels give the time). ' +
    'Hover over anything for its details; click a mark to find it in the event table.</div></section>'
  )
}
