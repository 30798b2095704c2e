/**
 * A job that never finishes declaring its graph (a job function that never resolves, a module
 * whose top-level await never settles, a module that hangs only in executor workers): `validate`,
 * `run`, `run --supervise` and `run --executors 1` all fail with SS_JOB_LOAD_TIMEOUT and exit 1
 * within the job load timeout, instead of exiting 0 with no message or hanging forever. Real
 * processes of the built agent.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killAll, runCli } from '../support/cli-process.js';
import { runArgs } from '../support/run-args.js';

afterEach(killAll);

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const NEVER_RESOLVES = fixture('never-resolving-job.ts');
const NEVER_SETTLES = fixture('never-settling-import.ts');
const NEVER_READY_IN_WORKER = fixture('never-ready-in-worker.ts');

const DECLARING = 'did not finish declaring its graph within 1s';
const LOADING = 'did not finish loading within 1s';

/** One `sidestream: error [SS_JOB_LOAD_TIMEOUT]: ...` line saying which step hung, and exit 1. */
function expectTimeout(r: { code: number | null; stdout: string; stderr: string }, says: string): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain('sidestream: error [SS_JOB_LOAD_TIMEOUT]: ');
  expect(r.stderr).toContain(says);
  expect(r.stderr).toContain('--job-load-timeout');
  expect(r.stderr).not.toMatch(/^ {4}at /m);
}

async function run(job: string, flags: string[], env: Record<string, string> = {}) {
  const args = runArgs({
    job,
    batchInterval: '200ms',
    flags: ['--job-load-timeout', '1s', ...flags],
    http: `127.0.0.1:${await freePort()}`,
  });
  return runCli(args, { env, timeoutMs: 30_000 });
}

describe('a job that never finishes declaring', () => {
  it.each([
    ['a job function that never resolves', NEVER_RESOLVES, DECLARING],
    ['a top-level await that never settles', NEVER_SETTLES, LOADING],
  ])(
    'validate, %s: exit 1 with SS_JOB_LOAD_TIMEOUT, never a silent exit 0',
    { timeout: 60_000 },
    async (_what, job, says) => {
      // With the default executors (one per core): the driver times out first and the pool is closed.
      const r = await runCli(['validate', job, '--job-load-timeout', '1s'], { timeoutMs: 30_000 });
      expectTimeout(r, says);
      expect(r.stdout).not.toContain('ok');
    },
  );

  it('validate takes the timeout from SIDESTREAM_JOB_LOAD_TIMEOUT too', { timeout: 60_000 }, async () => {
    const r = await runCli(['validate', NEVER_RESOLVES, '--executors', '0'], {
      env: { SIDESTREAM_JOB_LOAD_TIMEOUT: '1s' },
      timeoutMs: 30_000,
    });
    expectTimeout(r, DECLARING);
  });

  it.each([
    ['a job function that never resolves', '0', NEVER_RESOLVES, DECLARING],
    ['a top-level await that never settles', '0', NEVER_SETTLES, LOADING],
    ['a job function that never resolves', '1', NEVER_RESOLVES, DECLARING],
    ['a top-level await that never settles', '1', NEVER_SETTLES, LOADING],
  ])(
    'run, %s, --executors %s: exit 1 with SS_JOB_LOAD_TIMEOUT',
    { timeout: 60_000 },
    async (_what, executors, job, says) => {
      const r = await run(job, ['--executors', executors]);
      expectTimeout(r, says);
      expect(r.stderr).not.toMatch(/running: batch interval/);
    },
  );

  it('run --supervise: each process times out; the supervisor gives up and exits 1', {
    timeout: 60_000,
  }, async () => {
    const r = await run(NEVER_SETTLES, ['--executors', '0', '--supervise', '--restart-budget', '1']);
    expect(r.code, r.stderr).toBe(1);
    expect(
      r.stderr.match(/\[SS_JOB_LOAD_TIMEOUT\]: job module .* did not finish loading within 1s/g),
    ).toHaveLength(2);
    expect(r.stderr).toContain('[SS_RESTART_BUDGET_EXHAUSTED]');
  });

  it.each([
    ['await', LOADING],
    // A worker that never yields cannot time itself out: the pool's own bound (3 × 1s) ends it.
    ['spin', '1 of 1 executor workers did not finish importing'],
  ])(
    'run --executors 1 with a job that hangs only in the worker (%s): exit 1, never a hang',
    { timeout: 60_000 },
    async (hang, says) => {
      const r = await run(NEVER_READY_IN_WORKER, ['--executors', '1'], { HANG_IN_WORKER: hang });
      expectTimeout(r, says);
      expect(r.stderr).not.toMatch(/running: batch interval/);
    },
  );

  it('a job that loads in time is not affected by the timeout', { timeout: 60_000 }, async () => {
    const r = await runCli(
      ['validate', NEVER_READY_IN_WORKER, '--job-load-timeout', '20s', '--executors', '1'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.code).toBe(0);
  });
});
