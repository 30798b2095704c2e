/** fileTailStream against a real file: appends, rotation, truncation, and a restart in between. */
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-tail-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tail(file: string, checkpointDir: string, seen: string[]) {
  const ssc = new StreamingContext({
    appName: 'tail',
    batchIntervalMs: 100,
    checkpointDir,
    defaultParallelism: 1,
    tracing: false,
    output: () => {},
  });
  ssc
    .fileTailStream(file, { startAt: 'beginning', pollIntervalMs: 20, blockIntervalMs: 20 })
    .foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
  return ssc;
}

/**
 * Waits until `seen` holds at least `n` lines; on a timeout the error shows what arrived (a line
 * read twice would otherwise look like a line never read). The exact list is asserted at the end.
 */
async function waitForLines(seen: string[], n: number, what: string): Promise<void> {
  try {
    await waitFor(() => seen.length >= n, 20_000, what);
  } catch {
    throw new Error(`timed out waiting for ${what}: ${seen.length} of ${n} lines: ${JSON.stringify(seen)}`);
  }
}

const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('fileTailStream', () => {
  it('follows appends, rotation and truncation, and a restart continues where it stopped', async () => {
    const file = join(dir, 'app.log');
    const checkpointDir = join(dir, 'checkpoint');
    await writeFile(file, `${lines('a', 5).join('\n')}\n`);
    const seen: string[] = [];
    const first = tail(file, checkpointDir, seen);
    await first.start();
    await waitForLines(seen, 5, 'the existing lines');
    await appendFile(file, `${lines('b', 3).join('\n')}\npartial-`);
    await waitForLines(seen, 8, 'appended lines');
    await appendFile(file, 'line\n'); // the unfinished line completes
    await waitForLines(seen, 9, 'the completed line');
    await rename(file, `${file}.1`); // rotation: a new file under the same name
    await writeFile(file, `${lines('c', 2).join('\n')}\n`);
    await waitForLines(seen, 11, 'the rotated file');
    await first.stop({ graceful: true });

    // Lines written while the agent is down are read by the next one, and none twice.
    await appendFile(file, `${lines('d', 4).join('\n')}\n`);
    const second = tail(file, checkpointDir, seen);
    await second.start();
    await waitForLines(seen, 15, 'lines written while stopped');
    await writeFile(file, 'e0\n'); // truncation: shorter than the position
    await waitForLines(seen, 16, 'the truncated file');
    await second.stop({ graceful: true });
    expect(seen).toEqual([
      ...lines('a', 5),
      ...lines('b', 3),
      'partial-line',
      ...lines('c', 2),
      ...lines('d', 4),
      'e0',
    ]);
  });
});
