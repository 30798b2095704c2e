/**
 * What the state module writes is private to the agent's user: metadata checkpoints, offset log
 * entries and write-ahead log segments are created 0600 in directories created 0700 (missing
 * parents included), a durable write replaces a looser file with a 0600 one, and a directory
 * that already existed keeps the mode its owner gave it.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT_VERSION, CheckpointStore } from '../../src/state/checkpoint-store.js';
import { writeFileDurably } from '../../src/state/durable-file.js';
import { FileWriteAheadLog } from '../../src/state/file-write-ahead-log.js';
import { OffsetLog } from '../../src/state/offset-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-private-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** Owner read+write, nothing for the group or others (whatever extra bits the umask removed). */
async function expectPrivateFile(path: string): Promise<void> {
  const mode = await modeOf(path);
  expect(mode & 0o077, `${path} is ${mode.toString(8)}`).toBe(0);
  expect(mode & 0o600, `${path} is ${mode.toString(8)}`).toBe(0o600);
}

async function expectPrivateDir(path: string): Promise<void> {
  const mode = await modeOf(path);
  expect(mode & 0o077, `${path} is ${mode.toString(8)}`).toBe(0);
  expect(mode & 0o700, `${path} is ${mode.toString(8)}`).toBe(0o700);
}

const checkpoint = (batchTimeMs: number) => ({
  formatVersion: CHECKPOINT_FORMAT_VERSION,
  appName: 'app',
  batchIntervalMs: 1000,
  checkpointIntervalMs: 1000,
  defaultParallelism: 1,
  zeroTimeMs: 0,
  batchTimeMs,
  pendingTimesMs: [],
  writtenAtMs: batchTimeMs,
  streams: [],
});

describe('files the state module writes', () => {
  it('checkpoints: 0600 files in 0700 directories, the missing checkpoint directory included', async () => {
    const checkpointDir = join(dir, 'missing', 'ck');
    const store = new CheckpointStore(checkpointDir);
    const { file } = await store.write(checkpoint(1000));
    await expectPrivateDir(join(dir, 'missing'));
    await expectPrivateDir(checkpointDir);
    await expectPrivateDir(store.dir);
    await expectPrivateFile(file);
  });

  it('a durable write replaces a world-readable file with a private one', async () => {
    const target = join(dir, 'position.json');
    await writeFile(target, 'old');
    await chmod(target, 0o644);
    await writeFileDurably(target, 'new');
    expect(await readFile(target, 'utf8')).toBe('new');
    await expectPrivateFile(target);
  });

  it('a temp file left by a crashed process with the same pid is replaced, not reused with its mode', async () => {
    const target = join(dir, 'checkpoint-1');
    const stale = `${target}.tmp-${process.pid}`;
    await writeFile(stale, 'torn half of an older write, much longer than the new content');
    await chmod(stale, 0o666);
    await writeFileDurably(target, 'new');
    expect(await readFile(target, 'utf8')).toBe('new');
    await expectPrivateFile(target);
    expect(await readdir(dir)).toEqual(['checkpoint-1']);
  });

  it('the offset log: 0600 entries in 0700 offsets/ and commits/', async () => {
    const log = new OffsetLog(join(dir, 'kafka'));
    await log.init();
    await log.writePlanned({
      batchTime: 1000,
      ranges: { 'kafka:t': [{ topic: 't', partition: 0, fromOffset: 0, untilOffset: 5 }] },
    });
    await log.writeCommit(1000);
    await expectPrivateDir(join(dir, 'kafka'));
    for (const sub of ['offsets', 'commits']) {
      await expectPrivateDir(join(dir, 'kafka', sub));
      await expectPrivateFile(join(dir, 'kafka', sub, '1000'));
    }
  });

  it('write-ahead log segments: 0600 in a 0700 directory', async () => {
    const walDir = join(dir, 'receivedData', '0');
    const wal = await FileWriteAheadLog.open(walDir);
    try {
      await wal.write(new TextEncoder().encode('line'), 1000);
    } finally {
      await wal.close();
    }
    await expectPrivateDir(join(dir, 'receivedData'));
    await expectPrivateDir(walDir);
    const segments = await readdir(walDir);
    expect(segments.length).toBeGreaterThan(0);
    for (const segment of segments) await expectPrivateFile(join(walDir, segment));
  });

  it("leaves the mode of a directory that already existed alone (the user's choice)", async () => {
    const checkpointDir = join(dir, 'shared');
    await mkdir(checkpointDir);
    await chmod(checkpointDir, 0o750);
    const store = new CheckpointStore(checkpointDir);
    const { file } = await store.write(checkpoint(2000));
    expect(await modeOf(checkpointDir)).toBe(0o750);
    // What the store creates inside it is still private.
    await expectPrivateDir(store.dir);
    await expectPrivateFile(file);
  });
});
