// The table `npm run bench` prints: one row per figure, with its target and whether it was met.

export interface Row {
  readonly figure: string
  readonly value: string
  readonly detail: string
  /** Empty when the figure has no target. */
  readonly target: string
  /** null when there is no target to meet. */
  readonly met: boolean | null
}

export function renderTable(rows: readonly Row[]): string {
  const cells = rows.map((r) => [r.figure, r.value, r.target === '' ? '' : `${r.target} ${r.met === true ? 'met' : 'MISSED'}`, r.detail])
  const header = ['figure', 'value', 'target', 'detail']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)))
  const line = (c: readonly string[]) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')
}
