/**
 * Stopping the StreamingContexts a test made once the test is over, pass or fail, so that no
 * context, receiver or timer outlives its test into the next one.
 */
import { afterEach } from 'vitest';
import type { StopOptions, StreamingContext } from '../../src/index.js';

/**
 * Registers an afterEach hook in the calling file (or describe block) and returns `stopLater`:
 * every context passed to it is stopped after the current test, in the order it was passed,
 * with `options`.
 */
export function stopAfterEach(options?: StopOptions): <T extends StreamingContext>(ssc: T) => T {
  const live: StreamingContext[] = [];
  afterEach(async () => {
    for (const ssc of live.splice(0)) await ssc.stop(options);
  });
  return (ssc) => {
    live.push(ssc);
    return ssc;
  };
}
