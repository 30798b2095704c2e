/**
 * Time, injected. Engine code reads the time and waits only through a Clock, so tests drive a
 * ManualClock instead of sleeping, exactly as Spark's JobGenerator runs on a ManualClock in its
 * own tests. Nothing else in src/ calls Date.now() or setTimeout for scheduling decisions.
 */
import { SidestreamError } from './errors.js';

/**
 * The longest delay Node's timers accept, 2^31-1 ms (24.8 days): setTimeout turns a longer one
 * into 1 ms with a TimeoutOverflowWarning, so a timer meant to wait a month fires at once, again
 * and again. Every duration that ends up in a timer is bounded by it.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Resolves once now() >= timeMs. Rejects with the signal's reason if aborted first, so a
   * stopping timer never leaves a dangling wait behind.
   */
  waitUntil(timeMs: number, signal?: AbortSignal): Promise<void>;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  waitUntil(timeMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (timer) clearTimeout(timer);
        reject(signal?.reason);
      };
      // setTimeout may fire a little early or late; re-arm until the wall clock has really
      // reached the target so batch times never run ahead of real time.
      const arm = () => {
        const remaining = timeMs - Date.now();
        if (remaining <= 0) {
          signal?.removeEventListener('abort', onAbort);
          resolve();
          return;
        }
        // A target further away than a timer can wait is reached in several waits.
        timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_DELAY_MS));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  }
}

interface Waiter {
  timeMs: number;
  resolve: () => void;
}

/** A clock that moves only when told to; for tests and simulations. */
export class ManualClock implements Clock {
  private time: number;
  private waiters: Waiter[] = [];

  constructor(startMs = 0) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  /** Moves time forward and wakes every waiter whose time has come, earliest first. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('ManualClock cannot go backwards');
    this.setTime(this.time + ms);
  }

  setTime(timeMs: number): void {
    this.time = timeMs;
    const due = this.waiters.filter((w) => w.timeMs <= timeMs).sort((a, b) => a.timeMs - b.timeMs);
    this.waiters = this.waiters.filter((w) => w.timeMs > timeMs);
    for (const w of due) w.resolve();
  }

  waitUntil(timeMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (timeMs <= this.time) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        timeMs,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses '250ms', '1s', '1.5s', '2m', '1h' or a bare number of milliseconds. Throws a coded
 * error that names the field so a bad flag or config value says exactly what to fix.
 */
export function parseDurationMs(input: string | number, field: string): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw badDuration(String(input), field);
    return input;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(input);
  // The pattern only lets known units through; the unit check just tells the type so.
  const unitMs = m ? UNIT_MS[m[2] ?? 'ms'] : undefined;
  if (!m || unitMs === undefined) throw badDuration(input, field);
  const value = Number(m[1]) * unitMs;
  return Math.round(value);
}

function badDuration(input: string, field: string): SidestreamError {
  return new SidestreamError(
    'SS_CONFIG_INVALID',
    `${field}: '${input}' is not a duration; write a number with a unit, for example 500ms, 1s or 2m`,
  );
}

/** Compact human form for logs: 850ms, 1.5s, 2m. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`;
  return `${Number((ms / 60_000).toFixed(ms % 60_000 === 0 ? 0 : 1))}m`;
}
