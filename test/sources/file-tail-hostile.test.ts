/**
 * fileTailStream against hostile files: invalid UTF-8 (the byte positions must stay exact), a
 * line longer than one read, a line longer than the line bound (counted, dead-lettered when
 * asked, never stalling the lines after it) and copytruncate within one poll.
 */

import { createHash } from 'node:crypto';
import { appendFileSync, truncateSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FileTailOptions, type SourceEvent, StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';

let dir: string;
let n = 0;
let ssc: StreamingContext | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-tail-hostile-'));
});
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Tail {
  readonly file: string;
  readonly seen: string[];
  readonly errors: SourceEvent[];
}

async function tail(
  initial: string | Buffer | undefined,
  options: FileTailOptions = {},
  at: { file?: string; checkpointDir?: string } = {},
): Promise<Tail> {
  const file = at.file ?? join(dir, `app-${n++}.log`);
  if (initial !== undefined) await writeFile(file, initial);
  const seen: string[] = [];
  const errors: SourceEvent[] = [];
  ssc = new StreamingContext({
    appName: 'tail-hostile',
    batchIntervalMs: 50,
    defaultParallelism: 1,
    tracing: false,
    output: () => {},
    ...(at.checkpointDir === undefined ? {} : { checkpointDir: at.checkpointDir }),
  });
  ssc.addStreamingListener({ onSourceEvent: (e) => errors.push(e) });
  ssc
    .fileTailStream(file, { startAt: 'beginning', pollIntervalMs: 20, blockIntervalMs: 20, ...options })
    .foreachRDD(async (rdd) => {
      seen.push(...(await rdd.collect()));
    });
  await ssc.start();
  return { file, seen, errors };
}

async function waitForLines(t: Tail, count: number, what: string): Promise<void> {
  try {
    await waitFor(() => t.seen.length >= count, 15_000, what);
  } catch {
    throw new Error(`timed out waiting for ${what}: ${t.seen.length} of ${count}: ${JSON.stringify(t.seen)}`);
  }
}

/** The file's content once it holds a complete line (the dead-letter entry is written async). */
async function readWhenWritten(path: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.endsWith('\n') || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Long enough for several polls and batches: a line read twice would have arrived by then. */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('fileTailStream on hostile input', () => {
  it('counts consumed bytes from the raw bytes: invalid UTF-8 is read once and shifts nothing', async () => {
    const t = await tail('');
    await appendFile(t.file, 'before\n');
    await waitForLines(t, 1, 'the first line');
    await appendFile(
      t.file,
      Buffer.concat([
        Buffer.from('bad'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('-bytes\nafter-1\nafter-2\n'),
      ]),
    );
    await waitForLines(t, 4, 'the lines with and after the invalid bytes');
    await settle();
    expect(t.seen).toEqual(['before', 'bad\uFFFD\uFFFD-bytes', 'after-1', 'after-2']);
    // The file grows: the next line starts exactly where the previous one ended.
    await appendFile(t.file, 'after-3\n');
    await waitForLines(t, 5, 'the line appended later');
    await settle();
    expect(t.seen).toEqual(['before', 'bad\uFFFD\uFFFD-bytes', 'after-1', 'after-2', 'after-3']);
  });

  it('reads a line longer than one read (maxReadBytes) and the lines after it', async () => {
    const long = 'L'.repeat(200);
    const t = await tail('', { maxReadBytes: 64 });
    await appendFile(t.file, `first\n${long}\nafter\n`);
    await waitForLines(t, 3, 'the long line and the one after it');
    await settle();
    expect(t.seen).toEqual(['first', long, 'after']);
    expect(t.errors.filter((e) => e.type === 'record-error')).toEqual([]);
  });

  it('reads a 1.5 MiB line (longer than the default 1 MiB read) when the line bound allows it', async () => {
    const long = 'M'.repeat(1.5 * 1024 * 1024);
    const t = await tail('', { maxLineBytes: 4 * 1024 * 1024 });
    await appendFile(t.file, `first\n${long}\nafter\n`);
    await waitForLines(t, 3, 'the long line and the one after it');
    expect(t.seen.map((l) => l.length)).toEqual([5, long.length, 5]);
    expect(t.seen[1] === long).toBe(true);
  });

  it('rejects a line longer than maxLineBytes as a LineTooLong record error and delivers the lines after it', async () => {
    const t = await tail('');
    // 2 MiB > the default 1 MiB bound; nothing of it is delivered.
    await appendFile(t.file, `first\n${'x'.repeat(2 * 1024 * 1024)}\nafter-1\nafter-2\n`);
    await waitForLines(t, 3, 'the lines around the over-long one');
    await settle();
    expect(t.seen).toEqual(['first', 'after-1', 'after-2']);
    const rejected = t.errors.filter((e) => e.type === 'record-error');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      type: 'record-error',
      stream: `file-tail:${t.file}`,
      errorType: 'LineTooLong',
      position: `byte 6 of ${t.file}`,
      deadLettered: false,
    });
    expect(rejected[0]).not.toHaveProperty('topic');
  });

  it('dead-letters an over-long line as its first bytes and its length, in a file only its owner can read', async () => {
    const deadLetterPath = join(dir, `dead-${n}.jsonl`);
    const t = await tail('', { maxLineBytes: 1024, deadLetterPath });
    const long = Buffer.concat([Buffer.from('head:'), Buffer.alloc(100_000, 0x79), Buffer.from([0xff])]);
    await appendFile(t.file, Buffer.concat([Buffer.from('ok\n'), long, Buffer.from('\r\nafter\n')]));
    await waitForLines(t, 2, 'the lines around the over-long one');
    await waitFor(() => t.errors.some((e) => e.type === 'record-error'), 5000, 'the record error');
    expect(t.errors.find((e) => e.type === 'record-error')).toMatchObject({
      errorType: 'LineTooLong',
      deadLettered: true,
      position: `byte 3 of ${t.file}`,
    });
    const text = await readWhenWritten(deadLetterPath);
    expect((await stat(deadLetterPath)).mode & 0o777).toBe(0o600);
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      stream: `file-tail:${t.file}`,
      errorType: 'LineTooLong',
      position: `byte 3 of ${t.file}`,
      lengthBytes: long.length,
      terminated: true,
    });
    const prefix = Buffer.from(entry.prefixBase64, 'base64');
    expect(prefix.length).toBe(entry.prefixBytes);
    // The first min(4 KiB, maxLineBytes + 1) bytes: never more than the bound holds.
    expect(prefix.length).toBe(1025);
    expect(prefix.equals(long.subarray(0, prefix.length))).toBe(true);
    expect(t.seen).toEqual(['ok', 'after']);
  });

  it('refuses a maxLineBytes outside its documented bounds when the stream is declared', () => {
    ssc = new StreamingContext({ appName: 'tail-hostile', batchIntervalMs: 50, tracing: false });
    expect(() => ssc!.fileTailStream(join(dir, 'x.log'), { maxLineBytes: 1.5 })).toThrow(/maxLineBytes/);
    expect(() => ssc!.fileTailStream(join(dir, 'x.log'), { maxLineBytes: 15 })).toThrow(
      /file-tail:.*maxLineBytes must be a whole number from 16 to 268435456/,
    );
  });

  it('copytruncate: a file truncated and refilled within one poll is read from its start', async () => {
    const t = await tail('old-line-1\n', { pollIntervalMs: 500 });
    await waitForLines(t, 1, 'the line before the truncation');
    // Both before the next poll: the file ends up longer than the position the tail had.
    truncateSync(t.file, 0);
    appendFileSync(t.file, 'after-truncate-1\nafter-truncate-2\n');
    await waitForLines(t, 3, 'the refilled file');
    await new Promise((r) => setTimeout(r, 700));
    expect(t.seen).toEqual(['old-line-1', 'after-truncate-1', 'after-truncate-2']);
  });

  it('after a restart, does not resume inside a file rewritten in place while it was stopped', async () => {
    const file = join(dir, `app-${n++}.log`);
    const checkpointDir = join(dir, `ckpt-${n}`);
    const first = await tail('a0\na1\n', {}, { file, checkpointDir });
    await waitForLines(first, 2, 'the first lines');
    await ssc?.stop({ graceful: true });
    // Same inode, longer than the saved position, other first bytes.
    truncateSync(file, 0);
    appendFileSync(file, 'zz-0\nzz-1\nzz-2\n');
    const second = await tail(undefined, {}, { file, checkpointDir });
    await waitForLines(second, 3, 'the rewritten file');
    await settle();
    expect(first.seen).toEqual(['a0', 'a1']);
    expect(second.seen).toEqual(['zz-0', 'zz-1', 'zz-2']);
  });

  it('after a restart, continues from a position saved before fingerprints were kept', async () => {
    const file = join(dir, `app-${n++}.log`);
    const checkpointDir = join(dir, `ckpt-${n}`);
    await writeFile(file, 'old-0\nold-1\nnew-0\n');
    const positionFile = join(
      checkpointDir,
      'tail-positions',
      `${createHash('sha256').update(file).digest('hex').slice(0, 16)}.json`,
    );
    await mkdir(join(checkpointDir, 'tail-positions'), { recursive: true });
    await writeFile(positionFile, JSON.stringify({ ino: (await stat(file)).ino, offset: 12 }));
    const t = await tail(undefined, {}, { file, checkpointDir });
    await waitForLines(t, 1, 'the line after the saved position');
    await appendFile(file, 'new-1\n');
    await waitForLines(t, 2, 'an appended line');
    await settle();
    expect(t.seen).toEqual(['new-0', 'new-1']);
    const saved = JSON.parse(await readFile(positionFile, 'utf8'));
    expect(saved).toMatchObject({ offset: 24, fingerprint: { bytes: 24 } });
  });
});
