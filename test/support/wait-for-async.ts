/**
 * Polling an async condition until it holds: the wait the crash tests, the fault drills and the
 * fleet soak share. Free of vitest, so that scripts outside a test run (bench/soak.ts) use it too.
 */

/** Polls `cond` every 200 ms until it resolves true; throws naming `what` after `timeoutMs`. */
export async function waitForAsync(
  cond: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
