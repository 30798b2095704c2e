/**
 * Where things go on a status page chart: the SVG's size and margins, the time and value scales,
 * the axis ticks, the SVG path of a series and the hover's nearest batch. Pure arithmetic on
 * points and pixel widths (no DOM), so test/agent/status-page/chart-geometry.test.ts checks it in
 * Node; draw-chart.ts turns it into SVG elements.
 */
import type { Point } from './chart-spec.js';

export const CHART_HEIGHT = 190;
/** Room for the value labels on the left and the time labels below. */
export const CHART_MARGIN = { top: 10, right: 14, bottom: 24, left: 62 } as const;
/** A series marks each point with a dot up to this many points; past it the dots merge into a band. */
export const MAX_MARKED_POINTS = 90;

const MIN_WIDTH = 280;
/** Before layout (clientWidth 0) the chart assumes the width of one column of the page's grid. */
const FALLBACK_WIDTH = 560;
/** A window narrower than this (one batch, or batches within a second) is widened to it. */
const MIN_TIME_SPAN_MS = 1000;
/** The value axis has about this many steps between 0 and its top. */
const VALUE_STEPS = 4;
/** Room for one time label ("12:34:56.7"). */
const TIME_LABEL_WIDTH = 110;

/** One chart's scales: the SVG's size, its plot area, and the time and value ranges it shows. */
export interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly plotWidth: number;
  readonly plotHeight: number;
  /** The time range, epoch ms, left to right. */
  readonly x0: number;
  readonly x1: number;
  /** The top of the value axis (its bottom is 0), a whole number of steps. */
  readonly yMax: number;
  /** The distance between two value ticks. */
  readonly yStep: number;
}

export interface TimeTick {
  readonly time: number;
  readonly x: number;
  /** The first and last labels align with the plot's edges so they stay inside the SVG. */
  readonly anchor: 'start' | 'middle' | 'end';
}

/** The chart's SVG width for its container's clientWidth. */
export function chartWidth(clientWidth: number): number {
  return Math.max(MIN_WIDTH, clientWidth || FALLBACK_WIDTH);
}

/** 1, 2, 2.5 or 5 times a power of ten, at least `raw` (raw > 0). */
export function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/**
 * The frame for every point of a chart (all its series) at an SVG width: time from the first to
 * the last batch, values from 0 to a round number above the largest value and the reference
 * line. Null without a point (the chart shows its empty message instead).
 */
export function chartFrame(points: readonly Point[], width: number, reference?: number): ChartFrame | null {
  if (points.length === 0) return null;
  let x0 = Math.min(...points.map((p) => p[0]));
  let x1 = Math.max(...points.map((p) => p[0]));
  if (x1 - x0 < MIN_TIME_SPAN_MS) {
    x0 -= MIN_TIME_SPAN_MS / 2;
    x1 += MIN_TIME_SPAN_MS / 2;
  }
  const yMaxRaw = Math.max(...points.map((p) => p[1]), reference ?? 0, 0);
  const yStep = yMaxRaw > 0 ? niceStep(yMaxRaw / VALUE_STEPS) : 1;
  return {
    width,
    height: CHART_HEIGHT,
    plotWidth: width - CHART_MARGIN.left - CHART_MARGIN.right,
    plotHeight: CHART_HEIGHT - CHART_MARGIN.top - CHART_MARGIN.bottom,
    x0,
    x1,
    yMax: yMaxRaw > 0 ? Math.ceil(yMaxRaw / yStep) * yStep : 1,
    yStep,
  };
}

/** The SVG x of a time. */
export function scaleX(frame: ChartFrame, time: number): number {
  return CHART_MARGIN.left + ((time - frame.x0) / (frame.x1 - frame.x0)) * frame.plotWidth;
}

/** The SVG y of a value; negative values sit on the axis. */
export function scaleY(frame: ChartFrame, value: number): number {
  return CHART_MARGIN.top + frame.plotHeight - (Math.max(0, value) / frame.yMax) * frame.plotHeight;
}

/** The time at an SVG x (the inverse of scaleX). */
export function timeAtX(frame: ChartFrame, x: number): number {
  return frame.x0 + ((x - CHART_MARGIN.left) / frame.plotWidth) * (frame.x1 - frame.x0);
}

/** The value axis's ticks, 0 to yMax by yStep. */
export function valueTicks(frame: ChartFrame): number[] {
  const ticks: number[] = [];
  // Summed step by step rather than i * step: the two can differ in the last bit, which can add
  // or drop the top tick; summing is what the page has always drawn.
  for (let v = 0; v <= frame.yMax + frame.yStep / 2; v += frame.yStep) ticks.push(v);
  return ticks;
}

/** Evenly spaced time labels: as many as fit (2 to 6 intervals), the first and last at the edges. */
export function timeTicks(frame: ChartFrame): TimeTick[] {
  const n = timeTickIntervals(frame);
  const ticks: TimeTick[] = [];
  for (let i = 0; i <= n; i++) {
    const time = frame.x0 + ((frame.x1 - frame.x0) * i) / n;
    ticks.push({ time, x: scaleX(frame, time), anchor: i === 0 ? 'start' : i === n ? 'end' : 'middle' });
  }
  return ticks;
}

function timeTickIntervals(frame: ChartFrame): number {
  return Math.max(2, Math.min(6, Math.floor(frame.plotWidth / TIME_LABEL_WIDTH)));
}

/** Whether time labels need tenths of a second: with ticks under 2 s apart, seconds would repeat. */
export function timeTicksNeedTenths(frame: ChartFrame): boolean {
  return (frame.x1 - frame.x0) / timeTickIntervals(frame) < 2000;
}

/** A series' points in time order (the agent lists batches newest first). */
export function inTimeOrder(points: readonly Point[]): Point[] {
  return [...points].sort((a, b) => a[0] - b[0]);
}

/**
 * Points in time order cut into the runs a line may join: a new run starts wherever a break time
 * lies between two neighbouring points. Without breaks, all the points are one run; no point, no
 * run.
 */
export function lineSegments(points: readonly Point[], breaks: readonly number[] = []): Point[][] {
  const segments: Point[][] = [];
  let current: Point[] = [];
  for (const p of points) {
    const before = current[current.length - 1]?.[0];
    if (before !== undefined && breaks.some((t) => t > before && t < p[0])) {
      segments.push(current);
      current = [];
    }
    current.push(p);
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

/** The SVG path through points in time order ('' for none), to a tenth of a pixel. */
export function linePath(frame: ChartFrame, points: readonly Point[]): string {
  return points
    .map(
      (p, i) => `${i === 0 ? 'M' : 'L'}${scaleX(frame, p[0]).toFixed(1)},${scaleY(frame, p[1]).toFixed(1)}`,
    )
    .join('');
}

/** The closed path under the line through points in time order, down to the axis; '' for none. */
export function areaPath(frame: ChartFrame, points: readonly Point[]): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return '';
  const base = scaleY(frame, 0);
  return `${linePath(frame, points)}L${scaleX(frame, last[0]).toFixed(1)},${base}L${scaleX(frame, first[0]).toFixed(1)},${base}Z`;
}

/** The distinct batch times of a chart's points, in order: what the hover snaps to. */
export function batchTimes(points: readonly Point[]): number[] {
  return [...new Set(points.map((p) => p[0]))].sort((a, b) => a - b);
}

/** The time in `times` (sorted) nearest to `time`, the earlier one on a tie; `time` itself if none. */
export function nearestTime(times: readonly number[], time: number): number {
  let nearest = times[0] ?? time;
  for (const t of times) if (Math.abs(t - time) < Math.abs(nearest - time)) nearest = t;
  return nearest;
}

/** The SVG x under a pointer `offset` CSS pixels from the SVG's left edge, drawn `renderedWidth` wide. */
export function svgXAt(frame: ChartFrame, offset: number, renderedWidth: number): number {
  return offset * (frame.width / renderedWidth);
}

/** The tooltip's left edge in CSS pixels: right of the guide line, but never past the chart's right edge. */
export function tooltipLeft(frame: ChartFrame, time: number, renderedWidth: number): number {
  const left = (scaleX(frame, time) / frame.width) * renderedWidth;
  return Math.min(left + 12, renderedWidth - 200);
}
