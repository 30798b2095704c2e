/**
 * PartitionStatusTracker: Burrow's consumer-status evaluation, adapted to one Kafka partition of
 * a direct stream, fed by the 'partition-lag' SourceEvents (one per planned batch, carrying the
 * committed offset, the high watermark and the committed lag) and evaluated again at every batch
 * completion and, when the metrics have the engine's clock, at every scrape (for `stop`, which
 * needs time to pass without events, including when no batch completes at all).
 *
 * A "commit" here is one such sample: the offset the stream had committed when it planned a batch
 * for the partition, and the lag at that offset (high watermark - committed offset), as Burrow
 * measures it. Not the planned lag: records planned but never committed (a batch that keeps
 * failing, a broker that froze mid-batch) are waiting records, though no plan is left to make.
 * The window is the last `windowSize` samples (default 10, Burrow's default).
 * Rules, checked in this order; the first that holds is the status:
 *
 * 1. rewind: the committed offset went backwards between two consecutive samples of the window
 *    (a reset, a replay, another consumer committing lower). Stays until that pair leaves the window.
 * 2. stop:   the latest sample had lag > 0 and no sample arrived for longer than `stopAfterMs`
 *    (clock time of the evaluation - time of the latest sample): the partition is no longer
 *    being consumed while records wait.
 * 3. stall:  the window is full, every sample has lag > 0, and the committed offset is the same in
 *    all of them: batches keep being planned but nothing is committed (failing batches, a stuck
 *    sink).
 * 4. warn:   the window is full, every sample has lag > 0, the lag never shrank from one sample to
 *    the next and the last is larger than the first: consumption moves but falls behind.
 * 5. ok:     anything else, in particular any sample with lag 0 (Burrow: a consumer that caught up
 *    once in the window is fine), and a window not yet full.
 *
 * Differences from Burrow: the window is a count of per-batch samples rather than of consumer
 * commits (a direct stream commits once per batch, so they coincide when batches succeed);
 * `stop` uses a fixed threshold instead of the window's time span; there is no `error` level:
 * stall, stop and rewind are what alerts use.
 */

export type PartitionStatus = 'ok' | 'warn' | 'stall' | 'stop' | 'rewind';

export interface PartitionSample {
  /** Clock time (epoch ms) of the sample: the batch time of the plan it was measured for. */
  readonly timeMs: number;
  readonly committedOffset: number;
  /** The committed lag: records after the committed offset (high watermark - committed offset). */
  readonly lag: number;
}

export interface PartitionStatusOptions {
  /** Samples in the window; at least 2. Default 10. */
  readonly windowSize?: number;
  /** No sample for longer than this, while lag > 0, is `stop`. */
  readonly stopAfterMs: number;
}

export const DEFAULT_STATUS_WINDOW = 10;

export class PartitionStatusTracker {
  private readonly window: PartitionSample[] = [];
  private readonly size: number;
  private readonly stopAfterMs: number;

  constructor(options: PartitionStatusOptions) {
    const size = options.windowSize ?? DEFAULT_STATUS_WINDOW;
    if (!Number.isInteger(size) || size < 2)
      throw new RangeError(`windowSize must be an integer >= 2, not ${size}`);
    if (!(options.stopAfterMs > 0))
      throw new RangeError(`stopAfterMs must be > 0, not ${options.stopAfterMs}`);
    this.size = size;
    this.stopAfterMs = options.stopAfterMs;
  }

  /** Adds one sample (oldest dropped once the window is full); returns the status at its time. */
  record(sample: PartitionSample): PartitionStatus {
    this.window.push(sample);
    if (this.window.length > this.size) this.window.shift();
    return this.status(sample.timeMs);
  }

  /** The status at clock time `nowMs`. */
  status(nowMs: number): PartitionStatus {
    const w = this.window;
    const first = w[0];
    const last = w[w.length - 1];
    if (!first || !last) return 'ok';
    if (someStep(w, (before, after) => after.committedOffset < before.committedOffset)) return 'rewind';
    if (last.lag > 0 && nowMs - last.timeMs > this.stopAfterMs) return 'stop';
    if (w.length < this.size || w.some((s) => s.lag <= 0)) return 'ok';
    if (w.every((s) => s.committedOffset === first.committedOffset)) return 'stall';
    const neverShrank = !someStep(w, (before, after) => after.lag < before.lag);
    if (neverShrank && last.lag > first.lag) return 'warn';
    return 'ok';
  }
}

/** Whether `changed` holds for some pair of consecutive samples. */
function someStep(
  window: readonly PartitionSample[],
  changed: (before: PartitionSample, after: PartitionSample) => boolean,
): boolean {
  let before: PartitionSample | undefined;
  for (const after of window) {
    if (before && changed(before, after)) return true;
    before = after;
  }
  return false;
}
