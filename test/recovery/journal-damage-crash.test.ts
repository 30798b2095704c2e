/**
 * The journal-damage probe on a real agent (docs/receivers.md, "After journal damage"): a socket
 * receiver stores and acknowledges lines while no batch can finish, the agent is killed with
 * SIGKILL, the start of the block journal's newest segment is overwritten, and a new agent on the
 * same checkpoint directory must still bring every acknowledged line to the output, and say in
 * its log which blocks the damage affected.
 */
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WAL_HEADER_BYTES } from '../../src/state/file-write-ahead-log.js';
import { AckingLineSender } from '../support/acking-line-sender.js';
import { type AgentProcess, freePort, startAgent } from '../support/agent-process.js';
import { waitForAsync } from '../support/crash-loop.js';
import { runArgs } from '../support/run-args.js';

const JOB = fileURLToPath(new URL('./fixtures/socket-to-file-held.ts', import.meta.url));

async function outputLines(file: string): Promise<Set<number>> {
  const seen = new Set<number>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const m = /^line-(\d+)$/.exec(line);
    if (m) seen.add(Number(m[1]));
  }
  return seen;
}

describe('block journal damage under a real crash', () => {
  let dir: string;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-journal-crash-'));
  });
  afterAll(async () => {
    // An agent a failed assertion left running.
    for (const a of agents)
      if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('every acknowledged line whose block data is intact reaches the output after the damage', {
    timeout: 120_000,
  }, async () => {
    const sender = new AckingLineSender();
    const port = await sender.listen();
    const out = join(dir, 'out.txt');
    const checkpointDir = join(dir, 'checkpoint');
    const args = async () =>
      runArgs({
        job: JOB,
        app: 'journal-damage',
        batchInterval: '200ms',
        checkpointDir,
        http: `127.0.0.1:${await freePort()}`,
      });

    // Run 1: lines are stored and acknowledged, no batch with lines completes; then kill -9.
    const first = startAgent(await args(), { SOCKET_PORT: String(port), OUT_FILE: out, SINK: 'held' });
    agents.push(first);
    await waitForAsync(async () => sender.acked.size >= 1000, 30_000, '1000 acknowledged lines');
    first.child.kill('SIGKILL');
    expect((await first.exited).signal, first.output()).toBe('SIGKILL');
    const ackedInRun1 = new Set(sender.acked);
    expect(await outputLines(out)).toEqual(new Set());

    // The damage: the start of the journal's newest segment, as the probe found it.
    const journalDir = join(checkpointDir, 'receivers', 'stream-0', 'journal');
    const newest = (await readdir(journalDir))
      .filter((f) => f.endsWith('.wal'))
      .sort()
      .at(-1)!;
    const path = join(journalDir, newest);
    const size = (await stat(path)).size;
    const damaged = Math.floor(size / 3);
    expect(damaged).toBeGreaterThan(1000);
    const file = await open(path, 'r+');
    await file.write(Buffer.alloc(damaged, 0xa5), 0, damaged, WAL_HEADER_BYTES);
    await file.close();

    // Run 2, the sink working: everything acknowledged must arrive.
    sender.stopProducing();
    const second = startAgent(await args(), { SOCKET_PORT: String(port), OUT_FILE: out, SINK: 'up' });
    agents.push(second);
    await waitForAsync(async () => sender.unacknowledged === 0, 60_000, 'every line to be acknowledged');
    await waitForAsync(
      async () => {
        const seen = await outputLines(out);
        return [...sender.acked].every((n) => seen.has(n));
      },
      60_000,
      'every acknowledged line to reach the output',
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code, second.output()).toBe(0);
    await sender.close();

    const seen = await outputLines(out);
    const lost = [...ackedInRun1].filter((n) => !seen.has(n));
    console.log(
      'journal damage crash test:',
      JSON.stringify({ ackedInRun1: ackedInRun1.size, acked: sender.acked.size, lost: lost.length, damaged }),
    );
    expect(lost).toEqual([]);
    // The log names what the damage affected, beyond the bytes the journal dropped.
    expect(second.output()).toMatch(
      /write-ahead log \(block-journal\) recover: .*read on from the next intact record/,
    );
    expect(second.output()).toMatch(
      /input socket:127\.0\.0\.1:\d+: block journal damage \(log-\S+ at byte 8, /,
    );
  });
});
