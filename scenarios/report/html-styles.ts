// The HTML report's inline stylesheet and script: state colours, mark tones, the lane grid, the
// event table. The script only links marks to table rows and filters the table; nothing is fetched.

/** States with a colour of their own; anything else is drawn as `st-other`. */
export const COLOURED_STATES = [
  'creating', 'starting', 'running', 'stopping', 'stopped', 'rebooting', 'migrating', 'repairing', 'failed', 'destroyed', 'saga_unwound', 'no_vmm', 'vmm',
] as const

export function stateClass(state: string): string {
  return (COLOURED_STATES as readonly string[]).includes(state) ? `st-${state}` : 'st-other'
}

export const STYLES = `
:root { --ink:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#ffffff; --alt:#f6f8fa; --red:#cf222e; --dark-red:#82071e; --green:#1a7f37; --amber:#bf8700; --orange:#e16f24; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 28px 60px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0; display: flex; gap: 10px; align-items: center; }
code, .mono, td.fields, .hash { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; }
.sub { color: var(--muted); margin: 0 0 14px; }
.index { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 10px 0 18px; padding: 0; list-style: none; }
.index a { color: var(--ink); text-decoration: none; } .index a:hover { text-decoration: underline; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; color: #fff; letter-spacing: .03em; }
.badge.pass { background: var(--green); } .badge.fail { background: var(--red); }
.tag { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; background: var(--alt); border: 1px solid var(--line); color: var(--muted); }
.tag.bad { background: #ffebe9; border-color: #ff818266; color: var(--dark-red); font-weight: 600; }
section.scenario { border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px 10px; margin: 0 0 26px; }
section.scenario.failed { border-left: 5px solid var(--red); } section.scenario.passed { border-left: 5px solid var(--green); }
.desc { margin: 6px 0 8px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 2px 22px; margin: 0 0 8px; color: var(--muted); font-size: 13px; }
dl.facts dt { display: inline; } dl.facts dt::after { content: ":"; } dl.facts dd { display: inline; margin: 0 0 0 4px; color: var(--ink); }
.problems { margin: 6px 0 10px; padding: 8px 12px; background: #fff8f8; border: 1px solid #ffcecb; border-radius: 6px; }
.problems h3 { font-size: 13px; margin: 0 0 4px; color: var(--dark-red); }
.problems ul { margin: 0 0 4px; padding-left: 18px; }
.lanes { display: grid; grid-template-columns: 250px minmax(0, 1fr); border: 1px solid var(--line); border-radius: 6px; overflow: hidden; margin: 10px 0; }
.lane-names { border-right: 1px solid var(--line); background: #fff; }
.lane-names .axis-head { height: 26px; padding: 4px 10px; font-size: 11px; color: var(--muted); border-bottom: 1px solid var(--line); }
.lane-label { position: relative; padding: 5px 52px 0 10px; overflow: hidden; border-bottom: 1px solid #eaeef2; }
.lane-label.k-instance { border-top: 2px solid #8c959f; } .lane-label.k-vmm { padding-left: 22px; }
.lane-label.alt { background: var(--alt); }
.lane-label .name { font-weight: 650; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.lane-label .kind { font-size: 11px; color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.lane-label .band-tag { position: absolute; right: 6px; height: 18px; line-height: 18px; font-size: 10px; color: var(--muted); }
.lane-plot { overflow-x: auto; }
svg.plot { display: block; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 10px; }
svg .lane-bg { fill: #fff; } svg .lane-bg.alt { fill: var(--alt); } svg .lane-sep { stroke: #eaeef2; } svg .lane-sep.k-instance { stroke: #8c959f; stroke-width: 2; }
svg .grid { stroke: #d8dee4; stroke-dasharray: 2 3; } svg .axis-text { fill: var(--muted); } svg .axis-line { stroke: var(--line); }
svg .seg { stroke: #fff; stroke-width: 1; } svg .seg-text { fill: #1f2328; pointer-events: none; }
svg .seg-text.light { fill: #fff; } svg .band-bg { fill: none; stroke: #e6e9ed; stroke-dasharray: 3 3; }
.st-creating { fill: #e0d7fb; background: #e0d7fb; } .st-starting { fill: #b6dcff; background: #b6dcff; } .st-running { fill: #5cc97a; background: #5cc97a; }
.st-stopping { fill: #f7cf6b; background: #f7cf6b; } .st-stopped { fill: #cfd6de; background: #cfd6de; } .st-rebooting { fill: #8fd9d3; background: #8fd9d3; }
.st-migrating { fill: #c8aef7; background: #c8aef7; } .st-repairing { fill: #f3b6dc; background: #f3b6dc; } .st-failed { fill: #f26d6d; background: #f26d6d; }
.st-destroyed { fill: #e3e6ea; background: #e3e6ea; } .st-saga_unwound { fill: #efcfc4; background: #efcfc4; } .st-no_vmm { fill: #cfd6de; background: #cfd6de; }
.st-vmm { fill: #9fd8b0; background: #9fd8b0; } .st-other { fill: #e4e7eb; background: #e4e7eb; }
svg .mk { cursor: pointer; } svg .mk .hit { fill: transparent; } svg .mk:hover .hit { fill: rgba(9, 105, 218, 0.12); }
.t-ok { fill: #7fb88f; } .t-quiet { fill: #fff; stroke: #8c959f; } .t-info { fill: #8c959f; } .t-warn { fill: #d4a72c; }
.t-undo { fill: var(--orange); } .t-failed { fill: var(--red); } .t-fault { fill: var(--red); } .t-violation { fill: var(--dark-red); } .t-pending { fill: #fff; stroke: #57606a; }
svg .ring { fill: none; stroke: var(--red); stroke-width: 1.5; } svg .fault-line { stroke: var(--red); stroke-width: 1.2; stroke-dasharray: 3 2; }
svg .violation-line { stroke: var(--dark-red); stroke-width: 2; } svg .crash-line { stroke: var(--red); stroke-width: 1.5; stroke-dasharray: 6 3; } svg .restart-line { stroke: var(--green); stroke-width: 1.5; stroke-dasharray: 6 3; }
svg .mk-label { font-size: 9px; fill: var(--ink); } svg .mk-label.red { fill: var(--red); font-weight: 700; } svg .glyph { fill: #fff; font-size: 9px; font-weight: 700; pointer-events: none; }
svg .note-text { fill: var(--ink); font-size: 10px; }
svg .span { fill: #afb8c1; } svg .span.out-unwound { fill: var(--orange); } svg .span.out-stuck { fill: var(--red); } svg .span.open { fill: none; stroke: #8c959f; stroke-dasharray: 2 2; }
svg .span-text { fill: var(--muted); font-size: 9.5px; } svg .span-text.out-unwound { fill: #b35900; } svg .span-text.out-stuck { fill: var(--red); font-weight: 700; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; padding: 10px 12px; margin: 0 0 22px; background: var(--alt); border: 1px solid var(--line); border-radius: 6px; font-size: 12px; }
.legend .group { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; }
.legend .group > b { margin-right: 2px; } .legend svg { vertical-align: middle; } .legend .sw { display: inline-block; width: 26px; height: 12px; border-radius: 2px; vertical-align: middle; margin-right: 3px; }
.legend .note { flex-basis: 100%; color: var(--muted); }
details.events { margin: 8px 0 4px; } details.events summary { cursor: pointer; color: var(--muted); }
details.events input.filter { margin: 8px 0; padding: 4px 8px; width: 320px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
table.events { border-collapse: collapse; width: 100%; font-size: 12px; }
table.events th { text-align: left; position: sticky; top: 0; background: var(--alt); border-bottom: 1px solid var(--line); padding: 3px 6px; }
table.events td { border-bottom: 1px solid #eaeef2; padding: 2px 6px; vertical-align: top; white-space: nowrap; }
table.events td.fields { white-space: normal; word-break: break-all; }
table.events tr.r-fault td { background: #ffebe9; } table.events tr.r-failed td { background: #fff1e5; } table.events tr.hl td { background: #fff8c5; outline: 1px solid var(--amber); }
`

export const SCRIPT = `
document.addEventListener('click', function (e) {
  var mark = e.target.closest && e.target.closest('[data-seq]');
  if (!mark) return;
  var section = mark.closest('section');
  var row = section && document.getElementById(section.id + '-e' + mark.getAttribute('data-seq'));
  if (!row) return;
  row.closest('details').open = true;
  document.querySelectorAll('tr.hl').forEach(function (r) { r.classList.remove('hl'); });
  row.hidden = false;
  row.classList.add('hl');
  row.scrollIntoView({ block: 'center' });
});
document.addEventListener('input', function (e) {
  var box = e.target.closest && e.target.closest('input.filter');
  if (!box) return;
  var q = box.value.toLowerCase();
  box.closest('details').querySelectorAll('tbody tr').forEach(function (r) {
    r.hidden = q !== '' && r.textContent.toLowerCase().indexOf(q) < 0;
  });
});
`
