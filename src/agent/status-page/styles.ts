/**
 * The status page's stylesheet, inlined by page.ts (system fonts only: nothing is fetched). A
 * summary laid out as flex loses the browser's disclosure triangle, so the Configuration section
 * draws its own marker, turned when open, or nobody would see that it opens.
 */
export const STATUS_PAGE_CSS = `
:root {
  --bg: #f5f7fa; --panel: #ffffff; --border: #e3e8ef; --text: #1f2933; --muted: #66788a;
  --accent: #2563eb; --ok: #15803d; --ok-bg: #dcfce7; --warn: #b45309; --warn-bg: #fef3c7;
  --bad: #b91c1c; --bad-bg: #fee2e2; --grid: #eef1f5; --tick: #7b8794; --header: #0f172a;
  --shadow: 0 1px 2px rgba(15, 23, 42, 0.06);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; color: var(--text); background: var(--bg);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b1220; --panel: #111a2b; --border: #22304a; --text: #e2e8f0; --muted: #94a3b8;
    --ok: #4ade80; --ok-bg: #0f2e1c; --warn: #fbbf24; --warn-bg: #33270a; --bad: #f87171;
    --bad-bg: #3a1414; --grid: #1c2740; --tick: #8593a8; --header: #050a14;
  }
}
* { box-sizing: border-box; }
body { margin: 0; }
.mono, pre, .tick { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.top {
  display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 12px 24px;
  background: var(--header); color: #e2e8f0;
}
.brand { display: flex; align-items: center; gap: 8px; font-weight: 600; letter-spacing: 0.02em; color: #93c5fd; }
.logo { width: 18px; height: 18px; border-radius: 4px; background: linear-gradient(135deg, #60a5fa, #2563eb 60%, #1e3a8a); }
.top h1 { margin: 0; font-size: 18px; font-weight: 600; }
.top .meta { margin-left: auto; display: flex; gap: 18px; flex-wrap: wrap; font-size: 13px; color: #cbd5e1; }
.top .meta b { color: #f8fafc; font-weight: 600; }
.top .muted { color: #94a3b8; }
.badge { padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.badge.ok { background: #166534; color: #dcfce7; }
.badge.warn { background: #92400e; color: #fef3c7; }
.badge.bad { background: #991b1b; color: #fee2e2; }
.ok-text { color: #4ade80; } .warn-text { color: #fbbf24; } .bad-text { color: var(--bad); }
.banner { margin: 12px 24px 0; padding: 10px 14px; border-radius: 8px; background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); }
.notice { margin: 12px 24px 0; padding: 10px 14px; border-radius: 8px; background: var(--warn-bg); color: var(--warn); border: 1px solid var(--warn); font-weight: 600; }
.grid-table .detail { font-size: 12px; margin-top: 2px; white-space: normal; min-width: 220px; max-width: 420px; }
.grid-table tr.disconnected td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
main { padding: 16px 24px 8px; display: flex; flex-direction: column; gap: 16px; max-width: 1600px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 12px 14px; box-shadow: var(--shadow); border-top: 3px solid var(--accent); }
.card.alert { border-top-color: var(--bad); background: linear-gradient(var(--bad-bg), var(--panel) 70%); }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.card .value { font-size: 24px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
.card .small { font-size: 13px; font-weight: 400; color: var(--muted); }
.card .sub { font-size: 12px; color: var(--muted); margin-top: 2px; min-height: 1em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 10px; padding: 14px 16px; margin: 0; box-shadow: var(--shadow); min-width: 0; }
.panel h2 { font-size: 15px; margin: 0; font-weight: 600; display: inline; }
.panel > h2 { display: block; margin-bottom: 10px; }
.panel-head { display: flex; align-items: baseline; gap: 12px; margin-bottom: 10px; }
figcaption { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.hint { font-size: 12px; color: var(--muted); }
.chart { position: relative; min-height: 214px; }
.chart-empty { height: 190px; display: flex; align-items: center; justify-content: center; color: var(--muted); border: 1px dashed var(--border); border-radius: 8px; margin-top: 24px; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin: 8px 0 2px; min-height: 16px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 12px; height: 3px; border-radius: 2px; }
.legend-item.dashed .swatch { height: 0; border-top: 2px dashed currentColor; background: none !important; }
.legend-item.reference .swatch { height: 0; border-top: 2px dotted var(--tick); }
.chart-frame { position: relative; }
.chart-svg { display: block; width: 100%; height: auto; overflow: visible; }
.grid line { stroke: var(--grid); stroke-width: 1; }
.tick { fill: var(--tick); font-size: 10.5px; }
.series { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
.series.dashed { stroke-dasharray: 5 4; stroke-width: 1.4; opacity: 0.8; }
.area { opacity: 0.12; stroke: none; }
.point { opacity: 0.9; }
.reference-line { stroke: var(--tick); stroke-dasharray: 2 3; stroke-width: 1.2; }
.failure-line { stroke: var(--bad); stroke-width: 2; opacity: 0.55; }
.guide { stroke: var(--muted); stroke-width: 1; }
.overlay { fill: transparent; cursor: crosshair; }
.tooltip { position: absolute; top: 8px; min-width: 170px; padding: 8px 10px; border-radius: 8px; background: var(--header); color: #e2e8f0; font-size: 12px; pointer-events: none; box-shadow: 0 4px 14px rgba(0,0,0,0.25); }
.tooltip-time { font-weight: 600; margin-bottom: 4px; }
.tooltip-row { display: flex; align-items: center; gap: 6px; }
.tooltip-name { flex: 1; } .tooltip-value { font-variant-numeric: tabular-nums; }
.table-scroll { max-height: 560px; overflow: auto; }
.grid-table th, .grid-table td { white-space: nowrap; }
.grid-table td.reason { white-space: nowrap; }
.grid-table { width: 100%; border-collapse: collapse; font-size: 13px; }
.grid-table th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; padding: 6px 10px; border-bottom: 1px solid var(--border); position: sticky; top: 0; background: var(--panel); }
.grid-table td { padding: 6px 10px; border-bottom: 1px solid var(--grid); vertical-align: top; }
.grid-table .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.grid-table tbody tr:hover { background: var(--grid); }
.grid-table tr.failed { background: var(--bad-bg); }
.grid-table tr.failed td:first-child { box-shadow: inset 3px 0 0 var(--bad); }
.grid-table tr.lagging td:nth-child(3) { color: var(--warn); font-weight: 600; }
.grid-table td.slow { color: var(--warn); font-weight: 600; }
.grid-table td.reason { color: var(--bad); max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.pill.ok { background: var(--ok-bg); color: var(--ok); } .pill.bad { background: var(--bad); color: #fff; }
.dot { display: inline-flex; align-items: center; gap: 6px; }
.dot i { width: 8px; height: 8px; border-radius: 50%; display: inline-block; }
.dot.ok i { background: var(--ok); } .dot.warn i { background: var(--warn); } .dot.bad i { background: var(--bad); }
.muted { color: var(--muted); }
details summary { cursor: pointer; display: flex; gap: 10px; align-items: baseline; list-style: none; }
details summary::-webkit-details-marker { display: none; }
details summary::before { content: "\\25B8"; color: var(--muted); display: inline-block; width: 1em; transition: transform 0.15s; }
details[open] summary::before { transform: rotate(90deg); }
details summary:hover h2 { color: var(--accent); }
pre { margin: 10px 0 0; padding: 12px; background: var(--bg); border-radius: 8px; border: 1px solid var(--border); overflow: auto; font-size: 12px; }
footer { padding: 8px 24px 20px; font-size: 12px; color: var(--muted); text-align: center; }
footer a { color: var(--accent); }
@media (max-width: 640px) {
  .charts { grid-template-columns: 1fr; } .top .meta { margin-left: 0; }
  main { padding: 12px; } .top { padding: 12px; }
}
`;
