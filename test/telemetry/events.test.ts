/**
 * Every telemetry event type (src/telemetry/events.ts) is either mapped to metrics by the
 * Prometheus listener or listed, with a reason, in EVENTS_WITHOUT_METRICS; never both, never
 * neither. The samples table is keyed by TelemetryEventType, so a new hook or SourceEvent variant
 * does not compile here until it has a sample.
 */
import { describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/engine/batch-record.js';
import { EVENT_TIME_LAG_BUCKETS_SECONDS } from '../../src/engine/batch-record.js';
import {
  deliver,
  EVENTS_WITHOUT_METRICS,
  type TelemetryEvent,
  type TelemetryEventType,
} from '../../src/telemetry/events.js';
import { renderGraphiteLines } from '../../src/telemetry/exporters/graphite/render-graphite-lines.js';
import { METRICS } from '../../src/telemetry/metrics.js';
import { MetricsReader } from '../../src/telemetry/metrics-reader.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';

const batch: CompletedBatchRecord = {
  app: 'ev',
  batchTime: 10_000,
  submissionTime: 10_000,
  processingStartTime: 10_010,
  processingEndTime: 10_050,
  schedulingDelayMs: 10,
  processingDelayMs: 40,
  totalDelayMs: 50,
  numRecords: 3,
  outcome: 'succeeded',
  inputs: [
    {
      streamId: 0,
      name: 'kafka:events',
      numRecords: 3,
      offsetRanges: [],
      eventTimeLagMs: { avg: 10, max: 20, p50: 10, p99: 20 },
    },
  ],
  outputOperations: [],
  tasks: { total: 2, failed: 0, retried: 0 },
};
const receiver = { streamId: 1, name: 'socket:127.0.0.1:9999' };
const stream = 'kafka:events';
const task = { batchTime: 10_000, taskId: 1, stage: 's', rddId: 1, partition: 0, attempt: 1, time: 10_020 };
const op = { id: 0, name: 'foreachRDD', startTime: 10_010, endTime: 10_040, failureReason: null };

/** One event of every type. */
const SAMPLES: { [T in TelemetryEventType]: Extract<TelemetryEvent, { type: T }> } = {
  onBatchSubmitted: { type: 'onBatchSubmitted', args: [batch] },
  onBatchStarted: { type: 'onBatchStarted', args: [batch] },
  onBatchCompleted: { type: 'onBatchCompleted', args: [batch] },
  onOutputOperationStarted: { type: 'onOutputOperationStarted', args: [10_000, op] },
  onOutputOperationCompleted: { type: 'onOutputOperationCompleted', args: [10_000, op] },
  onTaskFailed: {
    type: 'onTaskFailed',
    args: [{ ...task, willRetry: true, errorType: 'RangeError', reason: 'flaky' }],
  },
  onTaskStarted: { type: 'onTaskStarted', args: [task] },
  onTaskCompleted: { type: 'onTaskCompleted', args: [{ ...task, succeeded: true }] },
  onBatchTraceContext: {
    type: 'onBatchTraceContext',
    args: [10_000, { traceparents: [], consumerGroups: [] }],
  },
  onReceiverStarted: { type: 'onReceiverStarted', args: [receiver] },
  onReceiverError: { type: 'onReceiverError', args: [{ ...receiver, message: 'reset' }] },
  onReceiverStopped: { type: 'onReceiverStopped', args: [{ ...receiver, message: 'stop' }] },
  onBlockStored: {
    type: 'onBlockStored',
    args: [{ ...receiver, numRecords: 7, bytes: 70, durable: true }],
  },
  onWalWritten: {
    type: 'onWalWritten',
    args: [{ log: 'receiver-data', records: 7, bytes: 70, durationMs: 2 }],
  },
  onWalError: { type: 'onWalError', args: [{ log: 'block-journal', op: 'write', message: 'EIO' }] },
  onCheckpointWritten: {
    type: 'onCheckpointWritten',
    args: [{ batchTime: 10_000, time: 10_060, bytes: 100, durationMs: 3 }],
  },
  onCheckpointFailed: { type: 'onCheckpointFailed', args: [{ batchTime: 10_000, message: 'ENOSPC' }] },
  onBatchEventTimeLag: {
    type: 'onBatchEventTimeLag',
    args: [
      10_000,
      [
        {
          streamId: 0,
          name: stream,
          bucketCounts: [3, ...EVENT_TIME_LAG_BUCKETS_SECONDS.map(() => 0)],
          sumSeconds: 0.03,
          count: 3,
        },
      ],
    ],
  },
  'source:rate-changed': {
    type: 'source:rate-changed',
    args: [{ type: 'rate-changed', streamId: 0, stream, ratePerSec: 500 }],
  },
  'source:rebalance': {
    type: 'source:rebalance',
    args: [
      { type: 'rebalance', streamId: 0, stream, assigned: [{ topic: 'events', partition: 0 }], revoked: [] },
    ],
  },
  'source:offsets-reset': {
    type: 'source:offsets-reset',
    args: [
      {
        type: 'offsets-reset',
        streamId: 0,
        stream,
        topic: 'events',
        partition: 0,
        storedOffset: 5,
        resetTo: 9,
        reason: 'retention',
      },
    ],
  },
  'source:record-error': {
    type: 'source:record-error',
    args: [
      {
        type: 'record-error',
        streamId: 0,
        stream,
        topic: 'events',
        partition: 0,
        offset: 3,
        errorType: 'SyntaxError',
        reason: 'bad json',
        deadLettered: false,
      },
    ],
  },
  'source:partition-lag': {
    type: 'source:partition-lag',
    args: [
      {
        type: 'partition-lag',
        streamId: 0,
        stream,
        batchTime: 10_000,
        topic: 'events',
        partition: 0,
        records: 4,
        seconds: 1,
        highWatermark: 14,
        committedOffset: 10,
      },
    ],
  },
};

function listener() {
  const metrics = new MetricsRegistry('ev');
  const l = new PrometheusListener(
    metrics.registry,
    { appName: 'ev', batchIntervalMs: 1000, batchesWaiting: 0 },
    '0.0.0',
  );
  return { metrics, listener: l };
}

async function snapshot(metrics: MetricsRegistry): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    if (m.name.startsWith('sidestream_')) out.set(m.name, JSON.stringify(m.values));
  }
  return out;
}

/** Events whose effect shows only after another one (a receiver stops after it started). */
const PRELUDE: Partial<Record<TelemetryEventType, TelemetryEventType>> = {
  onReceiverStopped: 'onReceiverStarted',
};

/** Owned by the exporters (they count their own failures), not by any listener event. */
const EXPORTER_OWNED = new Set(['sidestream_exporter_errors_total']);

describe('telemetry events', () => {
  for (const [type, event] of Object.entries(SAMPLES) as [TelemetryEventType, TelemetryEvent][]) {
    const reason = EVENTS_WITHOUT_METRICS[type];
    it(`${type}: ${reason ? 'no metric, with a reason' : 'changes a catalogue metric'}`, async () => {
      const { metrics, listener: l } = listener();
      const prelude = PRELUDE[type];
      if (prelude) deliver(l, SAMPLES[prelude]);
      const before = await snapshot(metrics);
      deliver(l, event);
      const after = await snapshot(metrics);
      const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      if (reason) {
        expect(reason.length).toBeGreaterThan(20);
        expect(changed).toEqual([]);
      } else {
        expect(changed.length).toBeGreaterThan(0);
      }
    });
  }

  it('after one event of every type, every catalogue metric has a series, in Prometheus and in Graphite', async () => {
    const { metrics, listener: l } = listener();
    for (const event of Object.values(SAMPLES)) deliver(l, event as TelemetryEvent);
    const json = await metrics.registry.getMetricsAsJSON();
    const withValues = new Set(json.filter((m) => m.values.length > 0).map((m) => m.name));
    const lines = renderGraphiteLines(await new MetricsReader(metrics.registry).read(10_000), { app: 'ev' });
    for (const spec of METRICS) {
      if (EXPORTER_OWNED.has(spec.name)) continue;
      expect(withValues.has(spec.name), spec.name).toBe(true);
      const path = `sidestream.ev.${spec.name.replace(/^sidestream_/, '')}`;
      expect(
        lines.some((line) => line.startsWith(`${path} `) || line.startsWith(`${path}.`)),
        path,
      ).toBe(true);
    }
  });
});
