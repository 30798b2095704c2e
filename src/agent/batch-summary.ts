/**
 * The batch summary line: off a terminal (or in json) a healthy batch's line is at debug, so
 * without it a healthy agent's log at info says it started and then nothing. Every interval
 * (setting batchSummaryInterval, default 60s) one info line sums up the batches completed since
 * the previous one: `last 1m: 60 batches, 0 failed, 72,000 records, max sched 3ms proc 41ms
 * total 44ms, lag 1.7s, kafka lag 1,234 records`, and in json the same facts as fields. An
 * interval without a completed batch says so: that silence is what a stalled agent looks like.
 * A failed batch still gets its own warn line at once (batch-progress.ts); here it is only
 * counted. On a terminal reading text every batch already has its line, so the agent adds none.
 */
import type { CompletedBatchRecord, StreamingListener } from '../events/index.js';
import { maxEventTimeLagMs } from '../telemetry/batch-progress-line.js';
import { type Clock, formatDurationMs, SystemClock } from '../time.js';
import type { AgentLogger } from './logger.js';

/** What one summary line says. Maxima and lags are absent when no batch (with them) completed. */
export interface BatchSummaryFacts {
  /** How long the summary covers: since the previous line (or the start), in ms. */
  readonly intervalMs: number;
  readonly batches: number;
  readonly failedBatches: number;
  readonly records: number;
  readonly maxSchedulingDelayMs?: number;
  readonly maxProcessingDelayMs?: number;
  readonly maxTotalDelayMs?: number;
  /** The batch time of the last batch completed in the interval. */
  readonly lastBatchTime?: number;
  /** The largest event-time lag of the last batch that had event times. */
  readonly eventTimeLagMaxMs?: number;
  /** Records left in Kafka (all planned partitions) when the last batch with that figure was planned. */
  readonly kafkaLagRecords?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Accumulates completed batches until taken; taking starts the next interval. */
export class BatchSummary {
  private facts: Mutable<Omit<BatchSummaryFacts, 'intervalMs'>> = BatchSummary.empty();

  constructor(private sinceMs: number) {}

  private static empty(): Mutable<Omit<BatchSummaryFacts, 'intervalMs'>> {
    return { batches: 0, failedBatches: 0, records: 0 };
  }

  /** Batches added since the last take. */
  get batches(): number {
    return this.facts.batches;
  }

  add(batch: CompletedBatchRecord): void {
    const f = this.facts;
    f.batches++;
    if (batch.outcome === 'failed') f.failedBatches++;
    f.records += batch.numRecords;
    f.maxSchedulingDelayMs = Math.max(f.maxSchedulingDelayMs ?? 0, batch.schedulingDelayMs);
    f.maxProcessingDelayMs = Math.max(f.maxProcessingDelayMs ?? 0, batch.processingDelayMs);
    f.maxTotalDelayMs = Math.max(f.maxTotalDelayMs ?? 0, batch.totalDelayMs);
    f.lastBatchTime = batch.batchTime;
    const lag = maxEventTimeLagMs(batch);
    if (lag !== undefined) f.eventTimeLagMaxMs = lag;
    const kafka = batch.inputs.flatMap((i) => i.consumerLag ?? []);
    if (kafka.length > 0) f.kafkaLagRecords = kafka.reduce((sum, p) => sum + p.records, 0);
  }

  /** The facts since the last take (or the start), up to `nowMs`; the next interval starts there. */
  take(nowMs: number): BatchSummaryFacts {
    const out = { intervalMs: Math.max(0, nowMs - this.sinceMs), ...this.facts };
    this.facts = BatchSummary.empty();
    this.sinceMs = nowMs;
    return out;
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** The text of one summary line (no newline). */
export function formatBatchSummary(f: BatchSummaryFacts): string {
  const head = `last ${formatDurationMs(f.intervalMs)}:`;
  if (f.batches === 0) return `${head} no batch completed`;
  const parts = [
    `${count(f.batches)} ${f.batches === 1 ? 'batch' : 'batches'}`,
    `${count(f.failedBatches)} failed`,
    `${count(f.records)} records`,
    `max sched ${formatDurationMs(f.maxSchedulingDelayMs ?? 0)} proc ${formatDurationMs(f.maxProcessingDelayMs ?? 0)} total ${formatDurationMs(f.maxTotalDelayMs ?? 0)}`,
  ];
  if (f.eventTimeLagMaxMs !== undefined) parts.push(`lag ${formatDurationMs(f.eventTimeLagMaxMs)}`);
  if (f.kafkaLagRecords !== undefined) parts.push(`kafka lag ${count(f.kafkaLagRecords)} records`);
  return `${head} ${parts.join(', ')}`;
}

/** The structured fields of the line (json): the facts, unformatted. */
export function batchSummaryFields(f: BatchSummaryFacts): Record<string, unknown> {
  return { ...f };
}

export interface BatchSummaryOptions {
  readonly logger: AgentLogger;
  /** > 0; the agent adds no summary listener when the setting is 0 (off). */
  readonly intervalMs: number;
  /** Default the system clock; tests drive a ManualClock. */
  readonly clock?: Clock;
}

export interface BatchSummaryListener extends StreamingListener {
  /** Starts the interval timer (the agent calls it once the context runs). */
  start(): void;
  /** Stops the timer and logs the batches of the unfinished interval, if any; idempotent. */
  stop(): void;
}

export function batchSummaryListener(options: BatchSummaryOptions): BatchSummaryListener {
  const { logger, intervalMs } = options;
  if (!(intervalMs > 0)) throw new RangeError(`batch summary interval must be > 0 (got ${intervalMs})`);
  const clock = options.clock ?? new SystemClock();
  const summary = new BatchSummary(clock.now());
  let running: AbortController | undefined;
  const flush = () => {
    const facts = summary.take(clock.now());
    logger.info(formatBatchSummary(facts), batchSummaryFields(facts));
  };
  const loop = async (signal: AbortSignal) => {
    let next = clock.now() + intervalMs;
    for (;;) {
      try {
        await clock.waitUntil(next, signal);
      } catch {
        return; // stopped
      }
      flush();
      next += intervalMs;
      // After a stall longer than an interval, one line covers it, not one per missed interval.
      if (next <= clock.now()) next = clock.now() + intervalMs;
    }
  };
  return {
    onBatchCompleted: (batch) => summary.add(batch),
    start() {
      if (running) return;
      running = new AbortController();
      // The first line covers everything since the listener was made, start-up included.
      void loop(running.signal);
    },
    stop() {
      if (!running) return;
      running.abort();
      running = undefined;
      if (summary.batches > 0) flush();
    },
  };
}
