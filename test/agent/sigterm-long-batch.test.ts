/**
 * SIGTERM while a long batch runs, with real agent processes: the stop is bounded by
 * --shutdown-timeout; a batch cut short is run again by the next start (its blocks are in the
 * write-ahead log and journalled as allocated, not completed), so no line is lost; with enough
 * time the batch simply completes and the agent exits 0.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAgent } from '../support/agent-process.js';
import { waitForAsync } from '../support/crash-loop.js';
import { runArgs } from '../support/run-args.js';

const JOB = fileURLToPath(new URL('./fixtures/slow-tail.ts', import.meta.url));
const LINES = Array.from({ length: 100 }, (_, i) => `line-${i}`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-sigterm-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function waitForOutput(agent: ReturnType<typeof startAgent>, pattern: RegExp): Promise<void> {
  await waitForAsync(async () => pattern.test(agent.output()), 30_000, `${pattern} in the agent output`);
}

async function outLines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('SIGTERM during a long batch', () => {
  it('is bounded by the shutdown timeout, and the cut batch runs again on restart: nothing lost', {
    timeout: 90_000,
  }, async () => {
    const input = join(dir, 'in.log');
    const out = join(dir, 'out-cut.txt');
    await writeFile(input, `${LINES.join('\n')}\n`);
    const args = async (timeout: string) =>
      runArgs({
        job: JOB,
        app: 'slow',
        batchInterval: '200ms',
        checkpointDir: join(dir, 'checkpoint-cut'),
        flags: ['--shutdown-timeout', timeout],
        http: `127.0.0.1:${await freePort()}`,
      });
    const first = startAgent(await args('1s'), { IN_FILE: input, OUT_FILE: out, SLOW_MS: '20000' });
    await waitForOutput(first, /slow batch started/);
    const signalled = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    const took = Date.now() - signalled;
    expect(exit.code, first.output()).toBe(1);
    expect(first.output()).toMatch(/SS_STOP_TIMEOUT/);
    expect(took).toBeLessThan(4000);
    expect(await outLines(out)).toEqual([]); // the cut batch wrote nothing

    const second = startAgent(await args('10s'), { IN_FILE: input, OUT_FILE: out, SLOW_MS: '0' });
    await waitForAsync(async () => (await outLines(out)).length >= LINES.length, 30_000, 'every line');
    second.child.kill('SIGTERM');
    expect((await second.exited).code, second.output()).toBe(0);
    const got = await outLines(out);
    expect(new Set(got)).toEqual(new Set(LINES));
  });

  it('with time enough, the in-flight batch completes and the agent exits 0', {
    timeout: 60_000,
  }, async () => {
    const input = join(dir, 'in2.log');
    const out = join(dir, 'out-drained.txt');
    await writeFile(input, `${LINES.join('\n')}\n`);
    const agent = startAgent(
      runArgs({
        job: JOB,
        app: 'drain',
        batchInterval: '200ms',
        checkpointDir: join(dir, 'checkpoint-drained'),
        flags: ['--shutdown-timeout', '10s'],
        http: `127.0.0.1:${await freePort()}`,
      }),
      { IN_FILE: input, OUT_FILE: out, SLOW_MS: '1500' },
    );
    await waitForOutput(agent, /slow batch started/);
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code, agent.output()).toBe(0);
    expect(new Set(await outLines(out))).toEqual(new Set(LINES));
  });
});
