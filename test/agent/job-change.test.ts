/**
 * `sidestream run` with a checkpoint directory: a restart recovers and says so; a changed job
 * module is refused with SS_JOB_CHANGED, and accepted with --allow-job-change.
 */
import { appendFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, killAll, runCli, spawnCli } from '../support/cli-process.js';
import { runArgs } from '../support/run-args.js';

afterEach(killAll);

const JOB = `
export default function job(ssc) {
  ssc
    .generatorStream({ ratePerSec: 200, keys: 5 })
    .map((e) => [e.key, 1])
    .updateStateByKey((vs, s) => (s ?? 0) + vs.length)
    .foreachRDD(async (rdd) => {
      await rdd.count();
    });
}
`;

describe('sidestream run with a checkpoint directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-job-change-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('recovers on restart, refuses a changed job, and accepts it with --allow-job-change', {
    timeout: 60_000,
  }, async () => {
    const job = join(dir, 'counts.mjs');
    const checkpointDir = join(dir, 'ckpt');
    await writeFile(job, JOB);
    const args = async () =>
      runArgs({ job, batchInterval: '100ms', checkpointDir, http: `127.0.0.1:${await freePort()}` });

    const first = spawnCli(await args());
    await eventually(
      async () =>
        (await readdir(join(checkpointDir, 'checkpoints')).catch(() => [])).length >= 2 ? true : undefined,
      15_000,
      'two checkpoints',
    );
    first.child.kill('SIGTERM');
    expect((await first.exited).code, first.stderr()).toBe(0);

    const second = spawnCli(await args());
    await eventually(
      async () =>
        /recovered from checkpoint \d+: \d+ pending batches, \d+ down-time batches, state of 1 streams restored/.test(
          second.stderr(),
        )
          ? true
          : undefined,
      15_000,
      'the recovery line',
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code, second.stderr()).toBe(0);

    await appendFile(job, '// changed\n');
    const refused = await runCli(await args(), { timeoutMs: 20_000 });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('SS_JOB_CHANGED');
    expect(refused.stderr).toContain('--allow-job-change');

    const allowed = spawnCli([...(await args()), '--allow-job-change']);
    await eventually(
      async () => (/recovered from checkpoint/.test(allowed.stderr()) ? true : undefined),
      15_000,
      'recovery',
    );
    allowed.child.kill('SIGTERM');
    expect((await allowed.exited).code, allowed.stderr()).toBe(0);

    // The environment variable works too (changed once more: the last run recorded the new hash).
    await appendFile(job, '// changed again\n');
    const viaEnv = spawnCli(await args(), { env: { SIDESTREAM_ALLOW_JOB_CHANGE: 'true' } });
    await eventually(
      async () => (/recovered from checkpoint/.test(viaEnv.stderr()) ? true : undefined),
      15_000,
      'recovery',
    );
    viaEnv.child.kill('SIGTERM');
    expect((await viaEnv.exited).code, viaEnv.stderr()).toBe(0);
  });
});
