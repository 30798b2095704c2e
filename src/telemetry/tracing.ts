/**
 * TracingListener: turns the engine's listener events into OpenTelemetry spans through
 * `@opentelemetry/api` only (no SDK here: the application registers one, or nothing happens).
 *
 *   sidestream.batch                 processing start .. end of a batch
 *     sidestream.output_operation    one per output operation (foreachRDD, print, ...)
 *       sidestream.task              one per task attempt (stage, partition, attempt)
 *
 * The batch span links to the traces of up to MAX_TRACE_LINKS of its input records (their W3C
 * `traceparent` header) and carries OpenTelemetry's messaging attributes for Kafka inputs.
 * Work is per batch, output operation and task attempt, never per record; when the tracer is the
 * API's no-op one the batch span is not recording and no child span is even created.
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type {
  BatchRecord,
  BatchTraceContext,
  CompletedBatchRecord,
  OutputOperationRecord,
  StreamingListener,
  TaskAttempt,
  TaskAttemptEnd,
} from '../events/index.js';

export const TRACER_NAME = 'sidestream';

/** W3C trace context: version 00, 32 hex trace id, 16 hex span id, 2 hex flags. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a `traceparent` header names; undefined when malformed or all zeros. */
export function parseTraceparent(header: string): Link['context'] | undefined {
  const [, version, traceId, spanId, flags] = TRACEPARENT.exec(header.trim()) ?? [];
  // The groups are all mandatory: a match has every one (the checks only tell the type so).
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined)
    return undefined;
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 1, isRemote: true };
}

interface OpenBatch {
  readonly span: Span;
  readonly ctx: Context;
  op?: { readonly id: number; readonly span: Span; readonly ctx: Context } | undefined;
  readonly tasks: Map<string, Span>;
}

const KAFKA_PREFIX = 'kafka:';

export class TracingListener implements StreamingListener {
  private readonly batches = new Map<number, OpenBatch>();

  /** `tracer` defaults to the global provider's (resolved lazily, so a later SDK still counts). */
  constructor(private readonly tracer: Tracer = trace.getTracer(TRACER_NAME)) {}

  onBatchStarted(batch: BatchRecord): void {
    const topics = new Set<string>();
    let kafka = false;
    for (const input of batch.inputs) {
      if (!input.name.startsWith(KAFKA_PREFIX)) continue;
      kafka = true;
      for (const r of input.offsetRanges) topics.add(r.topic);
    }
    const attributes: Attributes = {
      'sidestream.app': batch.app,
      'sidestream.batch.time': batch.batchTime,
      'sidestream.batch.records': batch.numRecords,
      'sidestream.batch.scheduling_delay_ms': batch.schedulingDelayMs ?? 0,
    };
    if (kafka) {
      attributes['messaging.system'] = 'kafka';
      attributes['messaging.operation.type'] = 'process';
      attributes['messaging.batch.message_count'] = batch.inputs
        .filter((i) => i.name.startsWith(KAFKA_PREFIX))
        .reduce((n, i) => n + i.numRecords, 0);
      if (topics.size > 0) attributes['messaging.destination.name'] = [...topics].sort().join(',');
    }
    const span = this.tracer.startSpan('sidestream.batch', {
      kind: kafka ? SpanKind.CONSUMER : SpanKind.INTERNAL,
      ...(batch.processingStartTime === null ? {} : { startTime: batch.processingStartTime }),
      attributes,
      root: true,
    });
    if (!span.isRecording()) {
      // No SDK (or sampled out): nothing below this span would be kept either.
      span.end();
      return;
    }
    this.batches.set(batch.batchTime, {
      span,
      ctx: trace.setSpan(context.active(), span),
      tasks: new Map(),
    });
  }

  onOutputOperationStarted(batchTime: number, op: OutputOperationRecord): void {
    const open = this.batches.get(batchTime);
    if (!open) return;
    const span = this.tracer.startSpan(
      'sidestream.output_operation',
      {
        ...(op.startTime === null ? {} : { startTime: op.startTime }),
        attributes: { 'sidestream.output_operation.id': op.id, 'sidestream.output_operation.name': op.name },
      },
      open.ctx,
    );
    open.op = { id: op.id, span, ctx: trace.setSpan(open.ctx, span) };
  }

  onOutputOperationCompleted(batchTime: number, op: OutputOperationRecord): void {
    const open = this.batches.get(batchTime);
    if (!open?.op || open.op.id !== op.id) return;
    if (op.failureReason !== null) {
      open.op.span.setStatus({ code: SpanStatusCode.ERROR, message: op.failureReason });
    }
    open.op.span.end(op.endTime ?? undefined);
    open.op = undefined;
  }

  onTaskStarted(task: TaskAttempt): void {
    if (task.batchTime === null) return;
    const open = this.batches.get(task.batchTime);
    if (!open) return;
    const span = this.tracer.startSpan(
      'sidestream.task',
      {
        ...(task.time > 0 ? { startTime: task.time } : {}),
        attributes: {
          'sidestream.task.id': task.taskId,
          'sidestream.task.stage': task.stage,
          'sidestream.task.partition': task.partition,
          'sidestream.task.attempt': task.attempt,
        },
      },
      open.op?.ctx ?? open.ctx,
    );
    open.tasks.set(`${task.taskId}/${task.attempt}`, span);
  }

  onTaskCompleted(task: TaskAttemptEnd): void {
    if (task.batchTime === null) return;
    const open = this.batches.get(task.batchTime);
    const key = `${task.taskId}/${task.attempt}`;
    const span = open?.tasks.get(key);
    if (!open || !span) return;
    open.tasks.delete(key);
    if (!task.succeeded) {
      span.setAttribute('error.type', task.errorType ?? 'unknown');
      span.setStatus({ code: SpanStatusCode.ERROR, message: task.reason ?? '' });
    }
    span.end(task.time > 0 ? task.time : undefined);
  }

  onBatchTraceContext(batchTime: number, traceContext: BatchTraceContext): void {
    const open = this.batches.get(batchTime);
    if (!open) return;
    const links: Link[] = [];
    for (const tp of traceContext.traceparents) {
      const ctx = parseTraceparent(tp);
      if (ctx) links.push({ context: ctx });
    }
    if (links.length > 0) open.span.addLinks(links);
    const groups = [...new Set(traceContext.consumerGroups.map((g) => g.group))];
    if (groups.length > 0) open.span.setAttribute('messaging.consumer.group.name', groups.join(','));
  }

  onBatchCompleted(batch: CompletedBatchRecord): void {
    const open = this.batches.get(batch.batchTime);
    if (!open) return;
    this.batches.delete(batch.batchTime);
    // Spans a failure left open (an op that never completed, a task in flight) end with the batch.
    for (const span of open.tasks.values()) span.end(batch.processingEndTime);
    open.op?.span.end(batch.processingEndTime);
    const { span } = open;
    span.setAttributes({
      'sidestream.batch.outcome': batch.outcome,
      'sidestream.batch.records': batch.numRecords,
      'sidestream.batch.scheduling_delay_ms': batch.schedulingDelayMs,
      'sidestream.batch.processing_delay_ms': batch.processingDelayMs,
      'sidestream.batch.total_delay_ms': batch.totalDelayMs,
      'sidestream.batch.tasks.failed': batch.tasks.failed,
      'sidestream.batch.tasks.retried': batch.tasks.retried,
    });
    if (batch.outcome === 'failed') {
      const reason = batch.outputOperations.find((o) => o.failureReason)?.failureReason;
      span.setStatus({ code: SpanStatusCode.ERROR, ...(reason ? { message: reason } : {}) });
    }
    span.end(batch.processingEndTime);
  }
}
