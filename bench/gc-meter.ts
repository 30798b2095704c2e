/**
 * Time spent in garbage collection during a measured interval. Node delivers GC entries
 * asynchronously, so `settle()` must be awaited after an interval before `during()` reads it.
 */
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export class GcMeter {
  private readonly entries: { start: number; duration: number }[] = [];
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as PerformanceEntry[]) {
      this.entries.push({ start: e.startTime, duration: e.duration });
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Lets pending GC entries arrive. */
  async settle(): Promise<void> {
    await sleep(5);
  }

  /** Milliseconds of GC that started within `[fromMs, toMs]` (performance.now() times). */
  during(fromMs: number, toMs: number): number {
    let total = 0;
    for (const e of this.entries) if (e.start >= fromMs && e.start <= toMs) total += e.duration;
    return total;
  }

  close(): void {
    this.observer.disconnect();
  }
}
