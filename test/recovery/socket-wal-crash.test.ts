/**
 * Receivers and the write-ahead log under real crashes (docs/receivers.md): an agent reads numbered
 * lines from a socket, acknowledging each block once it is stored, and is killed with SIGKILL
 * at random moments. With the WAL on, every line the receiver acknowledged reaches the output
 * (lost = 0; duplicates from re-sent unacknowledged lines are reported). With the WAL off the
 * same test shows the loss a memory-only receiver has: acknowledged lines die with the process memory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckingLineSender } from '../support/acking-line-sender.js';
import { freePort, startAgent, untilRunning } from '../support/agent-process.js';
import { crashLoop, waitForAsync } from '../support/crash-loop.js';
import { runArgs } from '../support/run-args.js';

const JOB = fileURLToPath(new URL('./fixtures/socket-to-file.ts', import.meta.url));

async function outputLines(file: string): Promise<Map<number, number>> {
  const seen = new Map<number, number>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const m = /^line-(\d+)$/.exec(line);
    if (m) seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) + 1);
  }
  return seen;
}

async function run(dir: string, wal: 'on' | 'off', kills: number) {
  const sender = new AckingLineSender();
  const port = await sender.listen();
  const out = join(dir, `out-${wal}.txt`);
  const env = { SOCKET_PORT: String(port), OUT_FILE: out, WAL: wal };
  const args = (_i: number, http: string) =>
    runArgs({
      job: JOB,
      app: `socket-${wal}`,
      batchInterval: '200ms',
      checkpointDir: join(dir, `checkpoint-${wal}`),
      http,
    });
  await crashLoop({ kills, args, env: () => env, minLifetimeMs: 1000, maxLifetimeMs: 3000 });
  sender.stopProducing();
  const final = startAgent(args(kills, `127.0.0.1:${await freePort()}`), env);
  // The last run re-sends what was never acknowledged; wait until every line is acknowledged
  // and, with the WAL, until every acknowledged line is in the output.
  await waitForAsync(async () => sender.unacknowledged === 0, 60_000, 'every line to be acknowledged');
  if (wal === 'on') {
    await waitForAsync(
      async () => {
        const seen = await outputLines(out);
        return [...sender.acked].every((n) => seen.has(n));
      },
      60_000,
      'every acknowledged line to reach the output',
    );
  } else {
    await new Promise((r) => setTimeout(r, 1500));
  }
  await untilRunning(final);
  final.child.kill('SIGTERM');
  expect((await final.exited).code, final.output()).toBe(0);
  await sender.close();
  const seen = await outputLines(out);
  const lost = [...sender.acked].filter((n) => !seen.has(n));
  const duplicated = [...seen].filter(([, count]) => count > 1).length;
  return { acked: sender.acked.size, lost: lost.length, duplicated, connections: sender.connections };
}

describe('socket receiver under kill -9', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-socket-crash-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with the write-ahead log: every acknowledged line reaches the output over 20 kills', {
    timeout: 300_000,
  }, async () => {
    const result = await run(dir, 'on', 20);
    console.log('socket crash test, WAL on:', JSON.stringify(result));
    // A run killed before it connected adds no connection; most must have been mid-stream.
    expect(result.connections).toBeGreaterThanOrEqual(15);
    expect(result.acked).toBeGreaterThan(1000);
    expect(result.lost).toBe(0);
  });

  it('without it: acknowledged lines are lost (the loss of a memory-only receiver, shown, not a feature)', {
    timeout: 120_000,
  }, async () => {
    const result = await run(dir, 'off', 5);
    console.log('socket crash test, WAL off:', JSON.stringify(result));
    expect(result.acked).toBeGreaterThan(500);
    expect(result.lost).toBeGreaterThan(0);
  });
});
