/**
 * FileWriteAheadLog against real write failures: a full disk (a 256 KiB tmpfs) and a read-only
 * remount. Needs root (mount); without it the tests are skipped, except under CI=true where
 * they fail, so CI cannot go green without having run them.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { describeError, isSidestreamError, type SidestreamError } from '../../src/errors.js';
import { FileWriteAheadLog } from '../../src/state/file-write-ahead-log.js';
import { RecordingBus } from '../support/recording-bus.js';

let mountPoint: string;
let mountFailure: string | undefined;

function sh(cmd: string, ...args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

beforeAll(async () => {
  mountPoint = await mkdtemp(join(tmpdir(), 'ss-wal-tmpfs-'));
  try {
    sh('mount', '-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint);
  } catch (error) {
    mountFailure = `cannot mount a tmpfs (needs root): ${describeError(error)}`;
  }
});
afterAll(async () => {
  if (mountFailure === undefined) sh('umount', mountPoint);
  await rm(mountPoint, { recursive: true, force: true });
});

let dir: string;
afterEach(async () => {
  if (mountFailure !== undefined) return;
  sh('mount', '-o', 'remount,rw', mountPoint);
  await rm(dir, { recursive: true, force: true });
});

async function setUp(ctx: TestContext): Promise<void> {
  if (mountFailure !== undefined) {
    if (process.env.CI === 'true') throw new Error(`${mountFailure}; CI must run the disk-failure tests`);
    ctx.skip(mountFailure);
  }
  dir = join(mountPoint, 'wal');
  await mkdir(dir);
}

const record = (i: number) => Buffer.alloc(1000, i % 251);

async function readAllData(dir: string): Promise<Buffer[]> {
  const log = await FileWriteAheadLog.open(dir);
  const out: Buffer[] = [];
  for await (const r of log.readAll()) out.push(Buffer.from(r.data));
  await log.close();
  return out;
}

describe('FileWriteAheadLog on a failing disk', () => {
  it('rejects with SS_WAL_WRITE_FAILED after its retries when the disk is full, and keeps what it acknowledged', async (ctx) => {
    await setUp(ctx);
    const bus = new RecordingBus();
    const log = await FileWriteAheadLog.open(dir, { maxRetries: 2, events: bus });
    const errors = () => bus.payloads('onWalError').map(({ op, message }) => ({ op, message }));
    let acknowledged = 0;
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      try {
        await log.write(record(i), i);
        acknowledged++;
      } catch (error) {
        failure = error;
      }
    }
    // 256 KiB of 1 KB records: the disk fills after a couple of hundred.
    expect(acknowledged).toBeGreaterThan(100);
    expect(acknowledged).toBeLessThan(300);
    expect(isSidestreamError(failure, 'SS_WAL_WRITE_FAILED')).toBe(true);
    const error = failure as SidestreamError;
    expect(error.retriable).toBe(true);
    expect(error.message).toContain(dir);
    expect(error.message).toMatch(/after 3 attempts.*ENOSPC.*Free space/);
    expect(errors()).toEqual([{ op: 'write', message: describeError(error) }]);
    // Still failing, still not throwing synchronously, still reporting.
    await expect(log.write(record(0), 0)).rejects.toSatisfy((e) =>
      isSidestreamError(e, 'SS_WAL_WRITE_FAILED'),
    );
    await log.close();

    const data = await readAllData(dir);
    expect(data).toHaveLength(acknowledged);
    data.forEach((d, i) => {
      expect(d.equals(record(i))).toBe(true);
    });
  });

  it('rejects with SS_WAL_WRITE_FAILED on a read-only filesystem and still reads what it has', async (ctx) => {
    await setUp(ctx);
    const first = await FileWriteAheadLog.open(dir);
    for (let i = 0; i < 5; i++) await first.write(record(i), i);
    // A filesystem with files open for writing cannot be remounted read-only: close first.
    await first.close();
    sh('mount', '-o', 'remount,ro', mountPoint);

    const bus = new RecordingBus();
    const log = await FileWriteAheadLog.open(dir, {
      maxRetries: 1,
      events: bus,
    });
    const failure = await log.write(record(5), 5).catch((e: unknown) => e);
    expect(isSidestreamError(failure, 'SS_WAL_WRITE_FAILED')).toBe(true);
    expect((failure as Error).message).toMatch(/EROFS/);
    expect(bus.payloads('onWalError').map((e) => e.op)).toEqual(['write']);
    const data: Buffer[] = [];
    for await (const r of log.readAll()) data.push(Buffer.from(r.data));
    expect(data).toHaveLength(5);
    await log.close();
  });
});
