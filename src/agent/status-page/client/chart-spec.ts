/**
 * What the status page's charts are drawn from: series of (batch time, value) points, the unit
 * their values are in, and the optional reference line and failure marks. Plain data, built by
 * chart-series.ts from batch records and drawn by draw-chart.ts.
 */

/** [batch time (epoch ms), value]. */
export type Point = readonly [number, number];

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
  /** Fill the area under the line (the input rate's total). */
  readonly area?: boolean;
  /** Drawn dashed, and so in the legend (the p99 beside an average). */
  readonly dashed?: boolean;
  /**
   * Batch times at which the series has no value (a batch without records has no event-time
   * lag): the line stops before each and starts again after it, rather than drawing a straight
   * line that looks like measured values.
   */
  readonly breaks?: readonly number[];
}

/** How a chart's values are written on its axis and in its tooltip (format.ts formatUnit). */
export type Unit = 'ms' | 'rate' | 'count' | 'seconds';

export interface ChartSpec {
  readonly series: readonly Series[];
  readonly unit: Unit;
  /** A horizontal line at a value the reader compares against (the batch interval). */
  readonly reference?: { readonly value: number; readonly label: string };
  /** Batch times to mark with a vertical line (failed batches). */
  readonly failures?: readonly number[];
  /** What the chart says instead while it has no point at all. */
  readonly empty: string;
}
