/**
 * The status page's four charts as data: from the batch records (oldest first) to the series of
 * the input rate, batch delays, event-time lag and Kafka consumer lag charts, with their colours.
 * Pure (no DOM), so test/agent/status-page/chart-series.test.ts checks it in Node.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import { topicPartitionKey } from '../../../topic-partition.js';
import type { Point, Series } from './chart-spec.js';

export const PALETTE = [
  '#2563eb',
  '#16a34a',
  '#d97706',
  '#9333ea',
  '#0891b2',
  '#db2777',
  '#65a30d',
  '#dc2626',
];

/** A palette colour by position, wrapping around. */
function colour(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#2563eb';
}

/** Every input seen in the batches, by stream id, in order of first appearance, with its latest name. */
export function inputNames(oldestFirst: readonly CompletedBatchRecord[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const b of oldestFirst) for (const i of b.inputs) names.set(i.streamId, i.name);
  return names;
}

/**
 * Records per second of each batch: all inputs together (filled), and each input on its own when
 * there is more than one (the same line twice would say nothing).
 */
export function rateSeries(oldestFirst: readonly CompletedBatchRecord[], intervalMs: number): Series[] {
  const seconds = intervalMs / 1000;
  const perInput = [...inputNames(oldestFirst)].map(
    ([id, name], n): Series => ({
      name,
      // Colour 0 is the total's.
      color: colour(n + 1),
      points: oldestFirst.flatMap((b): Point[] => {
        const i = b.inputs.find((x) => x.streamId === id);
        return i ? [[b.batchTime, i.numRecords / seconds]] : [];
      }),
    }),
  );
  return [
    {
      name: 'all inputs',
      color: colour(0),
      area: true,
      points: oldestFirst.map((b): Point => [b.batchTime, b.numRecords / seconds]),
    },
    ...(perInput.length > 1 ? perInput : []),
  ];
}

/** Total, scheduling and processing delay of each batch. */
export function delaySeries(oldestFirst: readonly CompletedBatchRecord[]): Series[] {
  // Total first, so the parts it is the sum of are drawn over it.
  return [
    { name: 'total', color: colour(0), points: oldestFirst.map((b): Point => [b.batchTime, b.totalDelayMs]) },
    {
      name: 'scheduling',
      color: colour(2),
      points: oldestFirst.map((b): Point => [b.batchTime, b.schedulingDelayMs]),
    },
    {
      name: 'processing',
      color: colour(1),
      points: oldestFirst.map((b): Point => [b.batchTime, b.processingDelayMs]),
    },
  ];
}

/** The batch times of the failed batches, for the delay chart's red marks. */
export function failureTimes(oldestFirst: readonly CompletedBatchRecord[]): number[] {
  return oldestFirst.filter((b) => b.outcome === 'failed').map((b) => b.batchTime);
}

/**
 * Event-time lag of each input that reports event time: its average (solid) and p99 (dashed, same
 * colour), at the batches whose record has a lag summary. A batch in which the input had no
 * records or no lag summary (or is missing) is a break: lag is measured from records, so there is
 * no value to draw there, and a line joined across it would show one.
 */
export function lagSeries(oldestFirst: readonly CompletedBatchRecord[]): Series[] {
  const series: Series[] = [];
  let n = 0;
  for (const [id, name] of inputNames(oldestFirst)) {
    // Counted for every input, reporting or not, so an input keeps its colour as others appear.
    const color = colour(n++);
    const avgPoints: Point[] = [];
    const p99Points: Point[] = [];
    const breaks: number[] = [];
    for (const b of oldestFirst) {
      const input = b.inputs.find((x) => x.streamId === id);
      const lag = input?.eventTimeLagMs;
      if (!input || input.numRecords === 0 || !lag) {
        breaks.push(b.batchTime);
        continue;
      }
      avgPoints.push([b.batchTime, lag.avg]);
      p99Points.push([b.batchTime, lag.p99]);
    }
    if (avgPoints.length === 0) continue;
    const gaps = breaks.length > 0 ? { breaks } : {};
    series.push({ name: `${name} avg`, color, points: avgPoints, ...gaps });
    series.push({ name: `${name} p99`, color, points: p99Points, dashed: true, ...gaps });
  }
  return series;
}

export interface KafkaLagSeries {
  /** The most lagging partitions (at the newest batch that planned each), most lagging first. */
  readonly series: Series[];
  /** How many partitions the batches planned in all. */
  readonly partitions: number;
}

/**
 * Consumer lag in records of each Kafka partition (named by its topic-partition key), as planned with each batch;
 * only as many partitions as the palette has colours, the most lagging at their latest point.
 */
export function kafkaLagSeries(oldestFirst: readonly CompletedBatchRecord[]): KafkaLagSeries {
  const partitions = new Map<string, Point[]>();
  for (const b of oldestFirst)
    for (const i of b.inputs)
      for (const p of i.consumerLag ?? []) {
        const key = topicPartitionKey(p.topic, p.partition);
        const points = partitions.get(key) ?? [];
        points.push([b.batchTime, p.records]);
        partitions.set(key, points);
      }
  const latest = (points: readonly Point[]): number => points[points.length - 1]?.[1] ?? 0;
  const top = [...partitions].sort((a, b) => latest(b[1]) - latest(a[1])).slice(0, PALETTE.length);
  return {
    series: top.map(([key, points], i) => ({ name: key, color: colour(i), points })),
    partitions: partitions.size,
  };
}
