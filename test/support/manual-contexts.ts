/**
 * StreamingContexts on a ManualClock of their own, stopped after each test: the set-up of the
 * engine, DStream and telemetry tests that drive batches with startManual
 * (test/support/manual-run.ts).
 */
import { ManualClock, StreamingContext, type StreamingContextOptions } from '../../src/index.js';
import { stopAfterEach } from './stop-after-each.js';

export type ManualContextOptions = Omit<StreamingContextOptions, 'clock'>;

export interface ManualContext {
  readonly ssc: StreamingContext;
  readonly clock: ManualClock;
}

/**
 * Call once in a test file (it registers an afterEach hook). Returns `manualContext`, which
 * makes a context from `options` on a new ManualClock reading `startMs` (default 0).
 */
export function manualContexts(): (options: ManualContextOptions, startMs?: number) => ManualContext {
  const stopLater = stopAfterEach();
  return (options, startMs = 0) => {
    const clock = new ManualClock(startMs);
    return { ssc: stopLater(new StreamingContext({ ...options, clock })), clock };
  };
}
