/**
 * The status page's charts as data (src/agent/status-page/client/chart-series.ts): which series
 * each chart draws from the batch records, their names, colours and points, with inputs that
 * come and go, inputs without event time, no batches at all, and more Kafka partitions than
 * colours.
 */
import { describe, expect, it } from 'vitest';
import {
  delaySeries,
  failureTimes,
  inputNames,
  kafkaLagSeries,
  lagSeries,
  PALETTE,
  rateSeries,
} from '../../../src/agent/status-page/client/chart-series.js';
import type { CompletedBatchRecord, InputRecord } from '../../../src/events/index.js';

function input(
  streamId: number,
  name: string,
  numRecords: number,
  extra: Partial<InputRecord> = {},
): InputRecord {
  return { streamId, name, numRecords, offsetRanges: [], eventTimeLagMs: null, ...extra };
}

function batch(
  batchTime: number,
  inputs: InputRecord[],
  extra: Partial<CompletedBatchRecord> = {},
): CompletedBatchRecord {
  return {
    app: 'test',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime + 5,
    processingEndTime: batchTime + 25,
    schedulingDelayMs: 5,
    processingDelayMs: 20,
    totalDelayMs: 25,
    numRecords: inputs.reduce((n, i) => n + i.numRecords, 0),
    outcome: 'succeeded',
    inputs,
    outputOperations: [],
    tasks: { total: 1, failed: 0, retried: 0 },
    ...extra,
  };
}

const lag = (avg: number, p99: number) => ({ avg, max: p99 + 1, p50: avg, p99 });

describe('inputNames', () => {
  it('lists every input once, in order of first appearance, by its latest name', () => {
    const names = inputNames([
      batch(1000, [input(1, 'socket', 1)]),
      batch(2000, [input(0, 'kafka:a', 1), input(1, 'socket:renamed', 1)]),
    ]);
    expect([...names]).toEqual([
      [1, 'socket:renamed'],
      [0, 'kafka:a'],
    ]);
  });
});

describe('rateSeries', () => {
  it('is the records per second of each batch, filled, for a single input', () => {
    const series = rateSeries([batch(1000, [input(0, 'gen', 100)]), batch(1500, [input(0, 'gen', 0)])], 500);
    expect(series).toEqual([
      {
        name: 'all inputs',
        color: PALETTE[0],
        area: true,
        points: [
          [1000, 200],
          [1500, 0],
        ],
      },
    ]);
  });

  it('adds one line per input when there are several, each only at the batches it appears in', () => {
    const series = rateSeries(
      [
        batch(1000, [input(0, 'a', 10), input(1, 'b', 30)]),
        batch(2000, [input(0, 'a', 20)]),
        batch(3000, [input(0, 'a', 5), input(1, 'b', 0)]),
      ],
      1000,
    );
    expect(series.map((s) => [s.name, s.color])).toEqual([
      ['all inputs', PALETTE[0]],
      ['a', PALETTE[1]],
      ['b', PALETTE[2]],
    ]);
    expect(series[0]?.points).toEqual([
      [1000, 40],
      [2000, 20],
      [3000, 5],
    ]);
    expect(series[2]?.points).toEqual([
      [1000, 30],
      [3000, 0],
    ]);
  });

  it('has the total line without points when there is no batch yet', () => {
    expect(rateSeries([], 1000)).toEqual([{ name: 'all inputs', color: PALETTE[0], area: true, points: [] }]);
  });
});

describe('delaySeries and failureTimes', () => {
  it('draws total first, then scheduling and processing, and marks the failed batches', () => {
    const batches = [
      batch(1000, [], { schedulingDelayMs: 1, processingDelayMs: 9, totalDelayMs: 10 }),
      batch(2000, [], { schedulingDelayMs: 0, processingDelayMs: 0, totalDelayMs: 0, outcome: 'failed' }),
      batch(3000, [], { schedulingDelayMs: 300, processingDelayMs: 4000, totalDelayMs: 4300 }),
    ];
    expect(delaySeries(batches)).toEqual([
      {
        name: 'total',
        color: PALETTE[0],
        points: [
          [1000, 10],
          [2000, 0],
          [3000, 4300],
        ],
      },
      {
        name: 'scheduling',
        color: PALETTE[2],
        points: [
          [1000, 1],
          [2000, 0],
          [3000, 300],
        ],
      },
      {
        name: 'processing',
        color: PALETTE[1],
        points: [
          [1000, 9],
          [2000, 0],
          [3000, 4000],
        ],
      },
    ]);
    expect(failureTimes(batches)).toEqual([2000]);
    expect(failureTimes([])).toEqual([]);
  });
});

describe('lagSeries', () => {
  it('draws avg and a dashed p99 in one colour per input that reports event time', () => {
    const series = lagSeries([
      batch(1000, [input(0, 'socket', 5), input(1, 'gen', 5, { eventTimeLagMs: lag(120, 300) })]),
      batch(2000, [input(0, 'socket', 5), input(1, 'gen', 5, { eventTimeLagMs: lag(80, 150) })]),
    ]);
    // 'socket' reports no event time: no series, but it keeps colour 0, so 'gen' has colour 1.
    expect(series).toEqual([
      {
        name: 'gen avg',
        color: PALETTE[1],
        points: [
          [1000, 120],
          [2000, 80],
        ],
      },
      {
        name: 'gen p99',
        color: PALETTE[1],
        points: [
          [1000, 300],
          [2000, 150],
        ],
        dashed: true,
      },
    ]);
  });

  it('has points only at the batches whose record has a lag summary', () => {
    const series = lagSeries([
      batch(1000, [input(0, 'gen', 5, { eventTimeLagMs: lag(10, 20) })]),
      batch(2000, [input(0, 'gen', 0)]),
      batch(3000, [input(0, 'gen', 5, { eventTimeLagMs: lag(30, 40) })]),
    ]);
    expect(series.map((s) => s.points)).toEqual([
      [
        [1000, 10],
        [3000, 30],
      ],
      [
        [1000, 20],
        [3000, 40],
      ],
    ]);
  });

  it('breaks the line at batches where the input had no records, no lag summary, or was missing', () => {
    const series = lagSeries([
      batch(1000, [input(0, 'gen', 5, { eventTimeLagMs: lag(10, 20) })]),
      batch(2000, [input(0, 'gen', 0)]),
      batch(3000, [input(0, 'gen', 5, { eventTimeLagMs: lag(30, 40) })]),
      // Records without event times: no summary.
      batch(4000, [input(0, 'gen', 5)]),
      batch(5000, [input(0, 'gen', 5, { eventTimeLagMs: lag(50, 60) })]),
      batch(6000, []),
      // A summary beside zero records is not a measurement either.
      batch(7000, [input(0, 'gen', 0, { eventTimeLagMs: lag(70, 80) })]),
      batch(8000, [input(0, 'gen', 5, { eventTimeLagMs: lag(90, 100) })]),
    ]);
    expect(series.map((s) => s.breaks)).toEqual([
      [2000, 4000, 6000, 7000],
      [2000, 4000, 6000, 7000],
    ]);
    expect(series[0]?.points.map((p) => p[0])).toEqual([1000, 3000, 5000, 8000]);
  });

  it('has no breaks while every batch has a lag summary', () => {
    const series = lagSeries([
      batch(1000, [input(0, 'gen', 5, { eventTimeLagMs: lag(10, 20) })]),
      batch(2000, [input(0, 'gen', 5, { eventTimeLagMs: lag(30, 40) })]),
    ]);
    expect(series.map((s) => s.breaks)).toEqual([undefined, undefined]);
  });

  it('is empty when no input reports event time, or there is no batch', () => {
    expect(lagSeries([batch(1000, [input(0, 'socket', 5)])])).toEqual([]);
    expect(lagSeries([])).toEqual([]);
  });
});

describe('kafkaLagSeries', () => {
  const partitionLag = (topic: string, partition: number, records: number) => ({
    topic,
    partition,
    records,
    highWatermark: 1000,
    committedOffset: 1000 - records,
  });

  it('draws each partition, most lagging at its newest batch first', () => {
    const { series, partitions } = kafkaLagSeries([
      batch(1000, [
        input(0, 'kafka:click-events', 10, {
          consumerLag: [partitionLag('click-events', 0, 500), partitionLag('click-events', 1, 5)],
        }),
      ]),
      batch(2000, [
        input(0, 'kafka:click-events', 10, {
          consumerLag: [partitionLag('click-events', 0, 0), partitionLag('click-events', 1, 40)],
        }),
      ]),
    ]);
    expect(partitions).toBe(2);
    expect(series).toEqual([
      {
        name: 'click-events-1',
        color: PALETTE[0],
        points: [
          [1000, 5],
          [2000, 40],
        ],
      },
      {
        name: 'click-events-0',
        color: PALETTE[1],
        points: [
          [1000, 500],
          [2000, 0],
        ],
      },
    ]);
  });

  it('keeps only as many partitions as there are colours, and counts them all', () => {
    const consumerLag = Array.from({ length: 10 }, (_, p) => partitionLag('t', p, p * 100));
    const { series, partitions } = kafkaLagSeries([batch(1000, [input(0, 'kafka:t', 1, { consumerLag })])]);
    expect(partitions).toBe(10);
    expect(series.map((s) => s.name)).toEqual(['t-9', 't-8', 't-7', 't-6', 't-5', 't-4', 't-3', 't-2']);
    expect(series.map((s) => s.color)).toEqual(PALETTE);
  });

  it('is empty without a Kafka direct stream', () => {
    expect(kafkaLagSeries([batch(1000, [input(0, 'gen', 5)])])).toEqual({ series: [], partitions: 0 });
    expect(kafkaLagSeries([])).toEqual({ series: [], partitions: 0 });
  });
});
