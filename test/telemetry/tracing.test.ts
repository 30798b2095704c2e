/**
 * TracingListener with a real SDK (sdk-trace-base, test only): the span tree of a batch with two
 * output operations and a retried task, error status on failed attempts, links from traceparent
 * headers, messaging attributes; and that nothing is recorded (or allocated per task) without one.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { beforeEach, describe, expect, it } from 'vitest';
import { collectTraceparents, MAX_TRACE_LINKS, parseTraceparent, TracingListener } from '../../src/index.js';
import { inMemoryTracing } from '../support/in-memory-tracing.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';

const { exporter, provider } = inMemoryTracing();

beforeEach(() => exporter.reset());
const manualContext = manualContexts();

const tp = (n: number) => `00-${n.toString(16).padStart(32, '0')}-${'b'.repeat(16)}-01`;

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('TracingListener', () => {
  it('gives a batch span with output operation and task attempt children, errors and links', async () => {
    const { ssc, clock } = manualContext(
      {
        appName: 'traced',
        batchIntervalMs: 1000,
        defaultParallelism: 2,
        maxTaskFailures: 2,
        onBatchFailure: 'continue',
      },
      1_000_000,
    );
    const records = [
      { id: 1, headers: { traceparent: tp(1) } },
      { id: 2, headers: { traceparent: tp(2) } },
      { id: 3, headers: { traceparent: tp(1) } },
      { id: 4, headers: { traceparent: 'garbage' } },
      { id: 5, headers: {} },
    ];
    const stream = ssc.queueStream([records, [{ id: 6, headers: {} }]]);
    let flaky = 0;
    stream.foreachRDD(async (rdd, batchTime) => {
      await rdd.foreachPartition((p) => {
        if (batchTime === 1_001_000 && p.length > 0 && flaky++ === 0) throw new Error('flaky once');
        if (batchTime === 1_002_000) throw new TypeError('always broken');
      });
    });
    stream.foreachRDD(async (rdd) => {
      await rdd.count();
    });
    const run = await startManual(ssc, clock);
    const [first] = await run.step();
    expect(first!.outcome).toBe('succeeded');

    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.name === 'sidestream.batch')!;
    expect(batch).toBeDefined();
    expect(batch.parentSpanContext).toBeUndefined();
    expect(batch.kind).toBe(SpanKind.INTERNAL);
    expect(batch.attributes).toMatchObject({
      'sidestream.app': 'traced',
      'sidestream.batch.time': 1_001_000,
      'sidestream.batch.records': 5,
      'sidestream.batch.outcome': 'succeeded',
      'sidestream.batch.tasks.failed': 1,
      'sidestream.batch.tasks.retried': 1,
    });
    expect(batch.attributes['sidestream.batch.processing_delay_ms']).toBeTypeOf('number');
    expect(batch.status.code).not.toBe(SpanStatusCode.ERROR);
    // Distinct, valid traceparents only: tp(1) twice and 'garbage' give one and no link.
    expect(batch.links.map((l) => l.context.traceId).sort()).toEqual(
      [tp(1), tp(2)].map((t) => t.split('-')[1]).sort(),
    );

    const ops = spans.filter((s) => s.name === 'sidestream.output_operation');
    expect(ops).toHaveLength(2);
    for (const op of ops) expect(parentOf(op)).toBe(batch.spanContext().spanId);
    expect(ops.map((o) => o.attributes['sidestream.output_operation.id']).sort()).toEqual([0, 1]);

    const tasks = spans.filter((s) => s.name === 'sidestream.task');
    const opIds = new Set(ops.map((o) => o.spanContext().spanId));
    for (const t of tasks) expect(opIds.has(parentOf(t)!)).toBe(true);
    // Op 0: two partitions, one retried (3 attempts); op 1 (count): two partitions.
    const underOp0 = tasks.filter(
      (t) =>
        parentOf(t) ===
        ops.find((o) => o.attributes['sidestream.output_operation.id'] === 0)!.spanContext().spanId,
    );
    expect(underOp0).toHaveLength(3);
    expect(tasks).toHaveLength(5);
    const failed = tasks.filter((t) => t.status.code === SpanStatusCode.ERROR);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.status.message).toBe('flaky once');
    expect(failed[0]!.attributes).toMatchObject({ 'sidestream.task.attempt': 1, 'error.type': 'Error' });
    const retry = tasks.find(
      (t) =>
        t.attributes['sidestream.task.attempt'] === 2 &&
        t.attributes['sidestream.task.partition'] === failed[0]!.attributes['sidestream.task.partition'],
    );
    expect(retry?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(tasks[0]!.attributes['sidestream.task.stage']).toBeTypeOf('string');

    // A batch whose task fails every attempt: error on each attempt, the op and the batch.
    exporter.reset();
    const [second] = await run.step();
    expect(second!.outcome).toBe('failed');
    const spans2 = exporter.getFinishedSpans();
    const batch2 = spans2.find((s) => s.name === 'sidestream.batch')!;
    expect(batch2.status.code).toBe(SpanStatusCode.ERROR);
    expect(batch2.links).toEqual([]);
    const attempts = spans2.filter(
      (s) => s.name === 'sidestream.task' && s.status.code === SpanStatusCode.ERROR,
    );
    expect(attempts.map((a) => a.attributes['sidestream.task.attempt'])).toEqual([1, 2]);
    expect(attempts.every((a) => a.attributes['error.type'] === 'TypeError')).toBe(true);
    const op0 = spans2.find(
      (s) => s.name === 'sidestream.output_operation' && s.attributes['sidestream.output_operation.id'] === 0,
    )!;
    expect(op0.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('sets messaging attributes and links for Kafka inputs (listener level)', () => {
    const listener = new TracingListener(trace.getTracer('test'));
    const inputs = [
      {
        streamId: 0,
        name: 'kafka:events',
        numRecords: 7,
        offsetRanges: [
          { topic: 'events', partition: 0, fromOffset: 0, untilOffset: 4 },
          { topic: 'events', partition: 1, fromOffset: 0, untilOffset: 3 },
        ],
        eventTimeLagMs: null,
      },
    ];
    const base = {
      app: 'k',
      batchTime: 5000,
      submissionTime: 5000,
      generationDelayMs: 0,
      numRecords: 7,
      inputs,
      outputOperations: [],
      tasks: { total: 0, failed: 0, retried: 0 },
    };
    listener.onBatchStarted({
      ...base,
      processingStartTime: 5001,
      processingEndTime: null,
      schedulingDelayMs: 1,
      processingDelayMs: null,
      totalDelayMs: null,
      outcome: null,
    });
    const many = Array.from({ length: 40 }, (_, i) => tp(i + 1)).slice(0, MAX_TRACE_LINKS);
    listener.onBatchTraceContext(5000, {
      traceparents: many,
      consumerGroups: [{ streamId: 0, group: 'readers' }],
    });
    listener.onBatchCompleted({
      ...base,
      processingStartTime: 5001,
      processingEndTime: 5010,
      schedulingDelayMs: 1,
      processingDelayMs: 9,
      totalDelayMs: 10,
      outcome: 'succeeded',
    });
    const [span] = exporter.getFinishedSpans();
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'events',
      'messaging.batch.message_count': 7,
      'messaging.consumer.group.name': 'readers',
      'sidestream.batch.total_delay_ms': 10,
    });
    expect(span!.links).toHaveLength(MAX_TRACE_LINKS);
  });

  it('collects at most MAX_TRACE_LINKS distinct traceparents and parses only valid ones', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ headers: { traceparent: tp(i + 1) } }));
    expect(collectTraceparents(records)).toHaveLength(MAX_TRACE_LINKS);
    expect(collectTraceparents([1, 'a', null, { headers: {} }])).toBeUndefined();
    expect(parseTraceparent(tp(1))).toMatchObject({ spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`)).toBeUndefined();
    expect(parseTraceparent('00-abc-def-01')).toBeUndefined();
  });
});

describe('TracingListener without an SDK', () => {
  it('records nothing and keeps no per-batch state', () => {
    trace.disable();
    try {
      const listener = new TracingListener();
      const batch = {
        app: 'n',
        batchTime: 1,
        submissionTime: 1,
        generationDelayMs: 0,
        processingStartTime: 1,
        processingEndTime: null,
        schedulingDelayMs: 0,
        processingDelayMs: null,
        totalDelayMs: null,
        numRecords: 0,
        outcome: null,
        inputs: [],
        outputOperations: [],
        tasks: { total: 0, failed: 0, retried: 0 },
      };
      listener.onBatchStarted(batch);
      listener.onTaskStarted({
        batchTime: 1,
        taskId: 0,
        stage: 's',
        rddId: 1,
        partition: 0,
        attempt: 1,
        time: 1,
      });
      expect((listener as unknown as { batches: Map<number, unknown> }).batches.size).toBe(0);
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      trace.setGlobalTracerProvider(provider);
    }
  });
});
