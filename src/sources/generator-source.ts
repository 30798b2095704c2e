/**
 * generatorStream: the embedded default source. Synthetic keyed events arrive at `ratePerSec`,
 * spread evenly over each batch interval; each carries an event time `eventTimeLagMs` (plus up
 * to `eventTimeJitterMs` of random extra delay) before its arrival, so event-time lag metrics
 * show something real without any outside system. Seeded, so a run can be reproduced.
 */
import type { InputBatch, InputContext, InputSource } from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import { SidestreamError } from '../errors.js';
import { startedContext } from './started-context.js';

export interface GeneratedEvent {
  readonly key: string;
  readonly value: number;
  /** Epoch ms at which the event happened (before it arrived). */
  readonly eventTime: number;
  /** Position in the whole generated sequence, from 0. */
  readonly seq: number;
}

export interface GeneratorStreamOptions {
  ratePerSec: number;
  /** Number of distinct keys (`key-0` ... `key-(n-1)`); default 10. */
  keys?: number;
  /** How long before arrival each event happened; default 0. */
  eventTimeLagMs?: number;
  /** Extra random delay, uniform in [0, jitter); default 0. */
  eventTimeJitterMs?: number;
  /** Values are whole numbers in [1, maxValue]; default 100. */
  maxValue?: number;
  numPartitions?: number;
  seed?: number;
}

/** mulberry32: a tiny, fast, seedable PRNG; quality is ample for synthetic load. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class GeneratorSource implements InputSource<GeneratedEvent> {
  readonly name = 'generator';
  private ctx: InputContext | undefined;
  private readonly random: () => number;
  private seq = 0;
  private carry = 0;
  private lastTime: number | undefined;

  constructor(private readonly options: GeneratorStreamOptions) {
    const check = (field: string, value: number | undefined, min: number) => {
      if (value !== undefined && !(Number.isFinite(value) && value >= min)) {
        throw new SidestreamError(
          'SS_CONFIG_INVALID',
          `generatorStream: ${field} must be a number >= ${min} (got ${value})`,
        );
      }
    };
    check('ratePerSec', options.ratePerSec, 0);
    check('keys', options.keys, 1);
    check('eventTimeLagMs', options.eventTimeLagMs, 0);
    check('eventTimeJitterMs', options.eventTimeJitterMs, 0);
    check('maxValue', options.maxValue, 1);
    this.random = prng(options.seed ?? 42);
  }

  start(ctx: InputContext): void {
    this.ctx = ctx;
  }

  generate(batchTimeMs: number): InputBatch<GeneratedEvent> {
    const ctx = startedContext(this.ctx, this.name);
    const from = this.lastTime ?? batchTimeMs - ctx.batchIntervalMs;
    this.lastTime = batchTimeMs;
    const span = Math.max(0, batchTimeMs - from);
    const exact = (this.options.ratePerSec * span) / 1000 + this.carry;
    const count = Math.floor(exact);
    this.carry = exact - count;
    const keys = this.options.keys ?? 10;
    const lag = this.options.eventTimeLagMs ?? 0;
    const jitter = this.options.eventTimeJitterMs ?? 0;
    const maxValue = this.options.maxValue ?? 100;
    const events: GeneratedEvent[] = new Array(count);
    const eventTimes = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const arrival = from + ((i + 1) * span) / count;
      const eventTime = Math.round(arrival - lag - this.random() * jitter);
      const seq = this.seq++;
      events[i] = {
        key: `key-${seq % keys}`,
        value: 1 + Math.floor(this.random() * maxValue),
        eventTime,
        seq,
      };
      eventTimes[i] = eventTime;
    }
    const rdd = RDD.parallelize(ctx.rddEnv, events, this.options.numPartitions ?? ctx.defaultParallelism);
    return { rdd, numRecords: count, eventTimesMs: eventTimes };
  }

  stop(): void {}
}
