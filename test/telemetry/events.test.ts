/**
 * The event table (src/telemetry/event-table.ts) against what the listeners it drives really do:
 * every event type has a row; a row's metric effect changes exactly the catalogue metrics it names
 * (and at least one), a row without one changes none and says why; a row's log effect writes one
 * line at its level, a row without one writes nothing. The samples table is keyed by
 * TelemetryEventType, so a new hook or input-event variant does not compile here until it has a
 * sample; the source check below catches one even without the compiler.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TIME_LAG_BUCKETS_SECONDS } from '../../src/event-time-lag.js';
import type { CompletedBatchRecord, TelemetryEvent, TelemetryEventType } from '../../src/events/index.js';
import { type EventLogSink, eventLogListener } from '../../src/telemetry/event-log-listener.js';
import { EVENT_TABLE, hasEffect } from '../../src/telemetry/event-table.js';
import { renderGraphiteLines } from '../../src/telemetry/exporters/graphite/render-graphite-lines.js';
import { METRICS } from '../../src/telemetry/metrics.js';
import { MetricsReader } from '../../src/telemetry/metrics-reader.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { deliver } from '../support/telemetry-events.js';

const batch: CompletedBatchRecord = {
  app: 'ev',
  batchTime: 10_000,
  submissionTime: 10_000,
  generationDelayMs: 0,
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
  onBatchOverdue: {
    type: 'onBatchOverdue',
    args: [{ batchTime: 10_000, overdue: true, lateMs: 2_400, waitingFor: `input ${stream}` }],
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
  'source:input-connectivity': {
    type: 'source:input-connectivity',
    args: [
      {
        type: 'input-connectivity',
        streamId: 0,
        stream,
        connected: false,
        reason: 'no answer from broker 127.0.0.1:9092 for 2.4 s',
      },
    ],
  },
  'source:input-error': {
    type: 'source:input-error',
    args: [
      {
        type: 'input-error',
        streamId: 0,
        stream,
        operation: 'connect',
        message: 'cannot reach Kafka at 127.0.0.1:1: ECONNREFUSED; retrying in 500 ms',
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
        committedLagRecords: 4,
        committedLagSeconds: 2,
      },
    ],
  },
};

function listener() {
  const metrics = new MetricsRegistry('ev');
  const l = new PrometheusListener(
    metrics.registry,
    {
      appName: 'ev',
      batchIntervalMs: 1000,
      batchesWaiting: 0,
      nextBatchOverdueMs: 0,
      // Read at scrape time, whatever the events: a connected input that answered at 10 s.
      graph: { inputs: [{ streamId: 0, source: { name: stream, connected: true, lastResponseMs: 10_000 } }] },
    },
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

/** Set when the listener is built or read from the context at scrape time, by no event: they need no row to exist. */
const SET_AT_START = new Set([
  'sidestream_build_info',
  'sidestream_restarts_total',
  'sidestream_batch_interval_seconds',
  'sidestream_batches_waiting',
  'sidestream_next_batch_overdue_seconds',
  'sidestream_input_connected',
  'sidestream_input_last_response_timestamp_seconds',
]);

/** A log sink at debug that keeps every line with its level. */
function recordingLog(): EventLogSink & { lines: { level: string; message: string; fields: unknown }[] } {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const at = (level: string) => (message: string, fields?: unknown) => {
    lines.push({ level, message, fields });
  };
  return {
    lines,
    isEnabled: () => true,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}

describe('the event table', () => {
  for (const [type, event] of Object.entries(SAMPLES) as [TelemetryEventType, TelemetryEvent][]) {
    const row = EVENT_TABLE[type];
    it(`${type}: metrics ${hasEffect(row.metric) ? 'as its row names them' : 'none, with a reason'}`, async () => {
      const { metrics, listener: l } = listener();
      const prelude = PRELUDE[type];
      if (prelude) deliver(l, SAMPLES[prelude]);
      const before = await snapshot(metrics);
      deliver(l, event);
      const after = await snapshot(metrics);
      const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      if (hasEffect(row.metric)) {
        expect(changed.length).toBeGreaterThan(0);
        for (const name of changed) expect(row.metric.metrics, `${type} changed ${name}`).toContain(name);
      } else {
        expect(row.metric.none.length).toBeGreaterThan(20);
        expect(changed).toEqual([]);
      }
    });

    it(`${type}: log ${hasEffect(row.log) ? 'one line at its level' : 'none, with a reason'}`, () => {
      const sink = recordingLog();
      deliver(eventLogListener(sink), event);
      if (hasEffect(row.log)) {
        const level =
          typeof row.log.level === 'function'
            ? (row.log.level as (...a: unknown[]) => string)(...event.args)
            : row.log.level;
        expect(sink.lines).toHaveLength(1);
        expect(sink.lines[0]).toMatchObject({ level });
        expect(sink.lines[0]!.message.length).toBeGreaterThan(10);
      } else {
        expect(row.log.none.length).toBeGreaterThan(15);
        expect(sink.lines).toEqual([]);
      }
    });
  }

  it('has a row for every hook and input-event variant the event vocabulary declares (read from its source)', () => {
    const read = (f: string) => readFileSync(new URL(`../../src/events/${f}`, import.meta.url), 'utf8');
    const hooks = [...read('streaming-listener.ts').matchAll(/^\s+(on[A-Z]\w+)\?\(/gm)].map((m) => m[1]!);
    expect(hooks.length).toBeGreaterThanOrEqual(19);
    const variants = ['input-events.ts', 'kafka-events.ts'].flatMap((f) =>
      [...read(f).matchAll(/readonly type: '([a-z-]+)'/g)].map((m) => `source:${m[1]!}`),
    );
    expect(variants.length).toBeGreaterThanOrEqual(6);
    const declared = [...hooks.filter((h) => h !== 'onSourceEvent'), ...variants].sort();
    expect(Object.keys(EVENT_TABLE).sort()).toEqual(declared);
  });

  it('every catalogue metric is named by some row, but the ones set at start and the exporters own', () => {
    const named = new Set(
      Object.values(EVENT_TABLE).flatMap((row) => (hasEffect(row.metric) ? [...row.metric.metrics] : [])),
    );
    for (const spec of METRICS) {
      if (SET_AT_START.has(spec.name) || EXPORTER_OWNED.has(spec.name)) continue;
      expect(named.has(spec.name), spec.name).toBe(true);
    }
  });

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

describe('source:record-error from an input without Kafka positions', () => {
  const textInput = {
    type: 'record-error' as const,
    streamId: 2,
    stream: 'file-tail:/var/log/app.log',
    position: 'byte 1234 of /var/log/app.log',
    errorType: 'LineTooLong',
    reason: 'line longer than 1048576 bytes (maxLineBytes)',
    deadLettered: true,
  };

  it('logs where the line was instead of a topic-partition@offset, and only the fields it has', () => {
    const sink = recordingLog();
    eventLogListener(sink).onSourceEvent?.(textInput);
    expect(sink.lines).toEqual([
      {
        level: 'debug',
        message:
          'file-tail:/var/log/app.log: record at byte 1234 of /var/log/app.log rejected ' +
          '(LineTooLong: line longer than 1048576 bytes (maxLineBytes)), dead-lettered',
        fields: expect.objectContaining({
          stream: 'file-tail:/var/log/app.log',
          position: 'byte 1234 of /var/log/app.log',
          errorType: 'LineTooLong',
        }),
      },
    ]);
    expect(sink.lines[0]!.fields).not.toHaveProperty('topic');
    expect(sink.lines[0]!.fields).not.toHaveProperty('offset');
  });

  it('logs a Kafka record as before: topic-partition@offset', () => {
    const sink = recordingLog();
    deliver(eventLogListener(sink), SAMPLES['source:record-error']);
    expect(sink.lines[0]!.message).toBe('kafka:events: record events-0@3 rejected (SyntaxError: bad json)');
    expect(sink.lines[0]!.fields).toMatchObject({ topic: 'events', partition: 0, offset: 3 });
  });

  it('counts it in sidestream_record_errors_total by stream and error type', async () => {
    const { metrics, listener: l } = listener();
    l.onSourceEvent(textInput);
    l.onSourceEvent(textInput);
    const json = await metrics.registry.getMetricsAsJSON();
    const counter = json.find((m) => m.name === 'sidestream_record_errors_total');
    expect(counter?.values).toEqual([
      {
        value: 2,
        labels: { app: 'ev', stream: 'file-tail:/var/log/app.log', error_type: 'LineTooLong' },
      },
    ]);
  });
});
