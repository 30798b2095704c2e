/// <reference lib="dom" />
/**
 * Draws one chart into its container as SVG, by hand (no charting library): the legend, the
 * grid and axis labels, each series' line (with its area and dots), the reference line, the
 * failure marks, and a hover guide with a tooltip of every series' value at the nearest batch.
 * Where each thing goes comes from chart-geometry.ts.
 */
import {
  areaPath,
  batchTimes,
  CHART_MARGIN,
  chartFrame,
  chartWidth,
  inTimeOrder,
  linePath,
  lineSegments,
  MAX_MARKED_POINTS,
  nearestTime,
  scaleX,
  scaleY,
  svgXAt,
  timeAtX,
  timeTicks,
  timeTicksNeedTenths,
  tooltipLeft,
  valueTicks,
} from './chart-geometry.js';
import type { ChartSpec, Series } from './chart-spec.js';
import { el, svg } from './dom.js';
import { formatClock, formatUnit } from './format.js';

/** Replaces the contents of `host` with the chart of `spec`, sized to the host's width. */
export function drawChart(host: HTMLElement, spec: ChartSpec): void {
  host.replaceChildren();
  const all = spec.series.flatMap((s) => s.points);
  const legend = drawLegend(spec);
  if (all.length === 0) {
    host.append(el('div', 'chart-empty', spec.empty));
    return;
  }
  host.append(legend);

  const frame = chartFrame(all, chartWidth(host.clientWidth), spec.reference?.value);
  if (!frame) return;
  const { width, height, plotWidth, plotHeight } = frame;
  const m = CHART_MARGIN;
  const sx = (x: number): number => scaleX(frame, x);
  const sy = (y: number): number => scaleY(frame, y);

  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    class: 'chart-svg',
    role: 'img',
  });
  const grid = svg('g', { class: 'grid' });
  for (const v of valueTicks(frame)) {
    const y = sy(v);
    grid.append(svg('line', { x1: m.left, x2: width - m.right, y1: y, y2: y }));
    const label = svg('text', { x: m.left - 8, y: y + 4, 'text-anchor': 'end', class: 'tick' });
    label.textContent = formatUnit(v, spec.unit);
    grid.append(label);
  }
  const tenths = timeTicksNeedTenths(frame);
  for (const tick of timeTicks(frame)) {
    const label = svg('text', { x: tick.x, y: height - 6, 'text-anchor': tick.anchor, class: 'tick' });
    label.textContent = tenths ? formatClock(tick.time, true).slice(0, -2) : formatClock(tick.time);
    grid.append(label);
  }
  root.append(grid);

  if (spec.reference) {
    const y = sy(spec.reference.value);
    root.append(svg('line', { x1: m.left, x2: width - m.right, y1: y, y2: y, class: 'reference-line' }));
  }
  for (const s of spec.series) {
    if (s.points.length === 0) continue;
    const points = inTimeOrder(s.points);
    const segments = lineSegments(points, s.breaks);
    if (s.area)
      root.append(
        svg('path', { d: segments.map((g) => areaPath(frame, g)).join(''), fill: s.color, class: 'area' }),
      );
    root.append(
      svg('path', {
        // One subpath per run: the pen lifts across the breaks.
        d: segments.map((g) => linePath(frame, g)).join(''),
        stroke: s.color,
        class: `series${s.dashed ? ' dashed' : ''}`,
        'data-series': s.name,
        'data-points': points.length,
        'data-segments': segments.length,
      }),
    );
    // A run of one point has no line to show it: it keeps its dot even when the others merge.
    const marked =
      points.length <= MAX_MARKED_POINTS ? points : segments.flatMap((g) => (g.length === 1 ? g : []));
    for (const p of marked)
      root.append(svg('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 2.2, fill: s.color, class: 'point' }));
  }
  for (const t of spec.failures ?? []) {
    root.append(
      svg('line', { x1: sx(t), x2: sx(t), y1: m.top, y2: m.top + plotHeight, class: 'failure-line' }),
    );
  }

  // Hover: a guide line and the values of every series at the nearest batch.
  const guide = svg('line', { y1: m.top, y2: m.top + plotHeight, class: 'guide', visibility: 'hidden' });
  root.append(guide);
  const overlay = svg('rect', {
    x: m.left,
    y: m.top,
    width: plotWidth,
    height: plotHeight,
    class: 'overlay',
  });
  root.append(overlay);
  const tip = el('div', 'tooltip');
  tip.hidden = true;
  const times = batchTimes(all);
  overlay.addEventListener('mousemove', (event) => {
    const box = root.getBoundingClientRect();
    const x = svgXAt(frame, (event as MouseEvent).clientX - box.left, box.width);
    const nearest = nearestTime(times, timeAtX(frame, x));
    guide.setAttribute('x1', String(sx(nearest)));
    guide.setAttribute('x2', String(sx(nearest)));
    guide.setAttribute('visibility', 'visible');
    tip.replaceChildren(el('div', 'tooltip-time', `batch ${formatClock(nearest, true)}`));
    for (const s of spec.series) {
      const p = s.points.find((q) => q[0] === nearest);
      if (!p) continue;
      const row = el('div', 'tooltip-row');
      row.append(
        swatch(s),
        el('span', 'tooltip-name', s.name),
        el('span', 'tooltip-value', formatUnit(p[1], spec.unit)),
      );
      tip.append(row);
    }
    tip.hidden = false;
    tip.style.left = `${tooltipLeft(frame, nearest, box.width)}px`;
  });
  overlay.addEventListener('mouseleave', () => {
    guide.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  });
  const container = el('div', 'chart-frame');
  container.append(root, tip);
  host.append(container);
}

function drawLegend(spec: ChartSpec): HTMLElement {
  const legend = el('div', 'legend');
  for (const s of spec.series) {
    const item = el('span', `legend-item${s.dashed ? ' dashed' : ''}`);
    item.append(swatch(s), document.createTextNode(s.name));
    legend.append(item);
  }
  if (spec.reference) {
    const item = el('span', 'legend-item reference');
    item.append(el('span', 'swatch'), document.createTextNode(spec.reference.label));
    legend.append(item);
  }
  return legend;
}

/** The short coloured bar that stands for a series in the legend and the tooltip. */
function swatch(s: Series): HTMLElement {
  const e = el('span', 'swatch');
  e.style.background = s.color;
  return e;
}
