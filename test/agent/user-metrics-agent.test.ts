/** A job's ssc.metrics are served by the agent on /metrics, next to the catalogue's metrics. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, killAll, spawnCli } from '../support/cli-process.js';

let dir: string | undefined;
afterEach(async () => {
  await killAll();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const JOB = `
export default function job(ssc) {
  const seen = ssc.metrics.counter('job_items_total', 'Items seen by the job, by parity.', ['parity']);
  ssc.queueStream([[1, 2, 3]]).foreachRDD(async (rdd) => {
    for (const n of await rdd.collect()) seen.inc({ parity: n % 2 === 0 ? 'even' : 'odd' });
  });
}
`;

describe('user metrics through the agent', () => {
  it('serves a counter the job declared with the app label', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-user-metrics-'));
    const job = join(dir, 'job.mjs');
    await writeFile(job, JOB);
    const port = await freePort();
    const cli = spawnCli([
      'run',
      job,
      '--app',
      'um',
      '--batch-interval',
      '100ms',
      '--http',
      `127.0.0.1:${port}`,
    ]);
    const deadline = Date.now() + 15_000;
    let body = '';
    while (!body.includes('job_items_total{app="um",parity="odd"} 2')) {
      if (Date.now() > deadline)
        throw new Error(`metric never appeared\n${body}\n--- stderr\n${cli.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
      body = await fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
    }
    expect(body).toContain('job_items_total{app="um",parity="even"} 1');
    expect(body).toContain('# HELP job_items_total Items seen by the job, by parity.');
    expect(body).toContain('sidestream_batches_total{app="um"');
  });
});
