/**
 * Where the status page's charts put things (src/agent/status-page/client/chart-geometry.ts):
 * the scales, the axis ticks, the SVG paths and the hover's nearest batch, with the pixel values
 * the SVG gets. A 560 px wide chart has a 484 x 156 px plot area whose top-left corner is at
 * (62, 10).
 */
import { describe, expect, it } from 'vitest';
import {
  areaPath,
  batchTimes,
  type ChartFrame,
  chartFrame,
  chartWidth,
  inTimeOrder,
  linePath,
  lineSegments,
  nearestTime,
  niceStep,
  scaleX,
  scaleY,
  svgXAt,
  timeAtX,
  timeTicks,
  timeTicksNeedTenths,
  tooltipLeft,
  valueTicks,
} from '../../../src/agent/status-page/client/chart-geometry.js';
import type { Point } from '../../../src/agent/status-page/client/chart-spec.js';

function frameOf(points: readonly Point[], width = 560, reference?: number): ChartFrame {
  const frame = chartFrame(points, width, reference);
  if (!frame) throw new Error('expected a frame');
  return frame;
}

describe('chartWidth', () => {
  it("is the container's width, at least 280 px, and 560 px before layout", () => {
    expect(chartWidth(900)).toBe(900);
    expect(chartWidth(100)).toBe(280);
    expect(chartWidth(0)).toBe(560);
  });
});

describe('niceStep', () => {
  it('rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(1)).toBe(1);
    expect(niceStep(1.5)).toBe(2);
    expect(niceStep(25)).toBe(25);
    expect(niceStep(26)).toBe(50);
    expect(niceStep(7)).toBe(10);
    expect(niceStep(1500)).toBe(2000);
    expect(niceStep(0.3)).toBe(0.5);
    expect(niceStep(7.5e11)).toBe(1e12);
  });
});

describe('chartFrame', () => {
  it('is null without a point', () => {
    expect(chartFrame([], 560)).toBeNull();
  });

  it('spans the first to the last batch, and 0 to a whole number of round steps', () => {
    const frame = frameOf([
      [10_000, 100],
      [0, 0],
    ]);
    expect(frame).toEqual({
      width: 560,
      height: 190,
      plotWidth: 484,
      plotHeight: 156,
      x0: 0,
      x1: 10_000,
      yMax: 100,
      yStep: 25,
    });
    expect(scaleX(frame, 0)).toBe(62);
    expect(scaleX(frame, 10_000)).toBe(546);
    expect(scaleY(frame, 0)).toBe(166);
    expect(scaleY(frame, 100)).toBe(10);
    expect(scaleY(frame, 50)).toBe(88);
  });

  it('widens a single batch to a second around it, centred', () => {
    const frame = frameOf([[10_000, 50]]);
    expect([frame.x0, frame.x1]).toEqual([9500, 10_500]);
    expect(frame.yStep).toBe(20);
    expect(frame.yMax).toBe(60);
    expect(scaleX(frame, 10_000)).toBe(304);
    expect(scaleY(frame, 50)).toBeCloseTo(36, 9);
  });

  it('gives all-zero values an axis from 0 to 1, with the line along the bottom', () => {
    const frame = frameOf([
      [0, 0],
      [2000, 0],
    ]);
    expect([frame.yMax, frame.yStep]).toEqual([1, 1]);
    expect(valueTicks(frame)).toEqual([0, 1]);
    expect(scaleY(frame, 0)).toBe(166);
  });

  it('makes room for the reference line above the data', () => {
    const frame = frameOf(
      [
        [0, 40],
        [5000, 12],
      ],
      560,
      1000,
    );
    expect(frame.yMax).toBe(1000);
    expect(valueTicks(frame)).toEqual([0, 250, 500, 750, 1000]);
    expect(scaleY(frame, 1000)).toBe(10);
  });

  it('draws negative values on the axis', () => {
    const frame = frameOf([
      [0, -5],
      [1000, 10],
    ]);
    expect(scaleY(frame, -5)).toBe(scaleY(frame, 0));
  });

  it('scales very large values without losing the round ticks', () => {
    const frame = frameOf([
      [0, 3e12],
      [1000, 1e12],
    ]);
    expect(valueTicks(frame)).toEqual([0, 1e12, 2e12, 3e12]);
    expect(scaleY(frame, 3e12)).toBe(10);
  });
});

describe('valueTicks', () => {
  it('sums fractional steps up to the top of the axis', () => {
    const ticks = valueTicks(
      frameOf([
        [0, 0.3],
        [1000, 0.1],
      ]),
    );
    expect(ticks).toHaveLength(4);
    expect(ticks[0]).toBe(0);
    expect(ticks[1]).toBeCloseTo(0.1, 12);
    expect(ticks[3]).toBeCloseTo(0.3, 12);
  });
});

describe('timeTicks', () => {
  it('puts as many labels as fit 110 px each, first and last at the plot edges', () => {
    const frame = frameOf([
      [0, 1],
      [60_000, 1],
    ]);
    expect(timeTicks(frame)).toEqual([
      { time: 0, x: 62, anchor: 'start' },
      { time: 15_000, x: 183, anchor: 'middle' },
      { time: 30_000, x: 304, anchor: 'middle' },
      { time: 45_000, x: 425, anchor: 'middle' },
      { time: 60_000, x: 546, anchor: 'end' },
    ]);
    expect(timeTicksNeedTenths(frame)).toBe(false);
  });

  it('keeps 2 to 6 intervals whatever the width', () => {
    const points: Point[] = [
      [0, 1],
      [60_000, 1],
    ];
    expect(timeTicks(frameOf(points, 280))).toHaveLength(3);
    expect(timeTicks(frameOf(points, 2000))).toHaveLength(7);
  });

  it('asks for tenths of a second when ticks are under 2 s apart', () => {
    expect(
      timeTicksNeedTenths(
        frameOf([
          [0, 1],
          [4000, 1],
        ]),
      ),
    ).toBe(true);
    expect(timeTicksNeedTenths(frameOf([[0, 1]]))).toBe(true);
  });
});

describe('paths', () => {
  const frame = frameOf([
    [0, 0],
    [10_000, 100],
  ]);
  const points: Point[] = [
    [0, 0],
    [5000, 50],
    [10_000, 100],
  ];

  it('draws a line through the points to a tenth of a pixel', () => {
    expect(linePath(frame, points)).toBe('M62.0,166.0L304.0,88.0L546.0,10.0');
  });

  it('closes the area under the line along the axis', () => {
    expect(areaPath(frame, points)).toBe('M62.0,166.0L304.0,88.0L546.0,10.0L546.0,166L62.0,166Z');
  });

  it('draws one point as a lone move, and no point as nothing', () => {
    expect(linePath(frame, [[5000, 50]])).toBe('M304.0,88.0');
    expect(linePath(frame, [])).toBe('');
    expect(areaPath(frame, [])).toBe('');
  });

  it('cuts the line into runs at the break times between points, one subpath each', () => {
    const points: Point[] = [
      [1000, 1],
      [2000, 2],
      [4000, 4],
      [6000, 6],
      [7000, 7],
    ];
    // 3000 and 5000 had no value; 0 and 9000 lie outside the points and cut nothing.
    expect(lineSegments(points, [0, 3000, 5000, 9000])).toEqual([
      [
        [1000, 1],
        [2000, 2],
      ],
      [[4000, 4]],
      [
        [6000, 6],
        [7000, 7],
      ],
    ]);
    // Two breaks between the same two points cut once.
    expect(lineSegments(points, [2500, 3000])).toHaveLength(2);
    expect(lineSegments(points)).toEqual([points]);
    expect(lineSegments(points, [])).toEqual([points]);
    expect(lineSegments([], [1000])).toEqual([]);
  });

  it('orders points by time without touching the input (the agent lists newest first)', () => {
    const newestFirst: Point[] = [
      [3000, 3],
      [2000, 2],
      [1000, 1],
    ];
    expect(inTimeOrder(newestFirst)).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
    expect(newestFirst[0]).toEqual([3000, 3]);
  });
});

describe('hover', () => {
  it('snaps to the distinct batch times of every series', () => {
    expect(
      batchTimes([
        [3000, 1],
        [1000, 2],
        [3000, 5],
        [2000, 0],
      ]),
    ).toEqual([1000, 2000, 3000]);
    expect(batchTimes([])).toEqual([]);
  });

  it('finds the nearest batch time, the earlier on a tie', () => {
    const times = [1000, 2000, 4000];
    expect(nearestTime(times, 1400)).toBe(1000);
    expect(nearestTime(times, 1600)).toBe(2000);
    expect(nearestTime(times, 1500)).toBe(1000);
    expect(nearestTime(times, 3100)).toBe(4000);
    expect(nearestTime(times, 99_999)).toBe(4000);
    expect(nearestTime(times, -5)).toBe(1000);
    expect(nearestTime([], 1234)).toBe(1234);
  });

  it('maps the pointer to SVG pixels and time, whatever size the SVG is drawn at', () => {
    const frame = frameOf([
      [0, 1],
      [10_000, 1],
    ]);
    // Drawn at half its width: a pointer 152 CSS px in is at SVG x 304, the middle of the plot.
    expect(svgXAt(frame, 152, 280)).toBe(304);
    expect(timeAtX(frame, 304)).toBe(5000);
    expect(timeAtX(frame, scaleX(frame, 7000))).toBeCloseTo(7000, 9);
  });

  it('puts the tooltip right of the guide, but not past the right edge', () => {
    const frame = frameOf([
      [0, 1],
      [10_000, 1],
    ]);
    expect(tooltipLeft(frame, 0, 560)).toBe(74);
    expect(tooltipLeft(frame, 0, 1120)).toBe(136);
    expect(tooltipLeft(frame, 10_000, 560)).toBe(360);
  });
});
