/**
 * `sidestream run --supervise` with a real agent process: a job that crashes every few batches is
 * restarted with backoff, recovers its state from the checkpoint each time (its running total
 * never resets), counts the restarts in sidestream_restarts_total, and once the restart budget is
 * spent the supervisor exits non-zero with SS_RESTART_BUDGET_EXHAUSTED.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAgent } from '../support/agent-process.js';
import { runArgs } from '../support/run-args.js';

const JOB = fileURLToPath(new URL('./fixtures/crash-every-few-batches.ts', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-supervise-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sidestream run --supervise', () => {
  it('restarts a crashing agent, which recovers its state each time, until the budget is spent', {
    timeout: 90_000,
  }, async () => {
    const port = await freePort();
    const out = join(dir, 'totals.txt');
    const agent = startAgent(
      runArgs({
        job: JOB,
        app: 'crashy',
        batchInterval: '200ms',
        checkpointDir: join(dir, 'checkpoint'),
        flags: ['--supervise', '--restart-budget', '3', '--restart-window', '1m'],
        http: `127.0.0.1:${port}`,
      }),
      { OUT_FILE: out, CRASH_AFTER: '30' },
    );
    // Scrape the agent while it lives: the restarts counter of each process.
    const restartsSeen = new Set<number>();
    let exited = false;
    void agent.exited.then(() => {
      exited = true;
    });
    while (!exited) {
      try {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        const m = /^sidestream_restarts_total\{app="crashy"\} (\d+)/m.exec(text);
        if (m) restartsSeen.add(Number(m[1]));
      } catch {
        // Between processes nothing listens.
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    const exit = await agent.exited;
    const output = agent.output();
    expect(exit.code, output).toBe(1);
    expect(output).toMatch(/restart 1 in 1s/);
    expect(output).toMatch(/restart 3 in 4s/);
    expect(output).toMatch(/SS_RESTART_BUDGET_EXHAUSTED.*after 3 restarts within 1m/);
    expect(output).toMatch(/recovered from checkpoint/);
    expect([...restartsSeen].sort()).toEqual([0, 1, 2, 3]);

    // Four processes of 30 good batches each, and the total never started over.
    const totals = (await readFile(out, 'utf8')).trim().split('\n').map(Number);
    expect(totals.length).toBeGreaterThanOrEqual(120);
    expect(totals).toEqual(Array.from({ length: totals.length }, (_, i) => i + 1));
  });

  it('SIGTERM to the supervisor drains the agent and exits 0 without a restart', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const agent = startAgent(
      [
        'run',
        JOB,
        '--supervise',
        '--app',
        'calm',
        '--batch-interval',
        '200ms',
        '--checkpoint-dir',
        join(dir, 'checkpoint-calm'),
        '--http',
        `127.0.0.1:${port}`,
      ],
      { OUT_FILE: join(dir, 'calm.txt'), CRASH_AFTER: '100000' },
    );
    for (let ready = false; !ready; await new Promise((r) => setTimeout(r, 100))) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`)
        .then((r) => r.ok)
        .catch(() => false);
    }
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    expect(exit.code, agent.output()).toBe(0);
    expect(agent.output()).toMatch(/stopped/);
    expect(agent.output()).not.toMatch(/restart 1/);
  });
});
