/**
 * RateLimiter: holds a receiver to a records-per-second rate (Spark's receiver rate limiter),
 * set by `maxRatePerSec` and lowered or raised by backpressure. Receivers cannot be blocked in
 * Node, so acquire() returns a promise the receiver awaits before taking more from upstream
 * (pausing its socket, delaying its fetch): the wait is the backpressure.
 *
 * Smooth, not bursty: each acquire of n permits reserves n/rate seconds after the previous
 * reservation, so a large block waits for its own cost only after the ones before it.
 */
import type { Clock } from '../time.js';

export class RateLimiter {
  private nextFreeMs = 0;

  /** `ratePerSec`: undefined or Infinity for no limit. */
  constructor(
    private readonly clock: Clock,
    private ratePerSec: number | undefined,
  ) {}

  get rate(): number | undefined {
    return this.ratePerSec;
  }

  setRate(ratePerSec: number | undefined): void {
    this.ratePerSec = ratePerSec !== undefined && ratePerSec > 0 ? ratePerSec : undefined;
  }

  /** Resolves when `n` more records may be taken in. */
  async acquire(n: number, signal?: AbortSignal): Promise<void> {
    const rate = this.ratePerSec;
    if (rate === undefined || !Number.isFinite(rate) || n <= 0) return;
    const now = this.clock.now();
    const start = Math.max(now, this.nextFreeMs);
    this.nextFreeMs = start + (n * 1000) / rate;
    if (start > now) await this.clock.waitUntil(start, signal);
  }
}
