/**
 * FileWriteAheadLog's single writer never misses a write: one issued at any moment after the
 * previous group settled (a few microtasks later, as a caller that awaits a write and then
 * writes again does) is written, never left waiting for a writer that already stopped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileWriteAheadLog } from '../../src/state/file-write-ahead-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-wal-wakeup-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Resolves to 'stuck' when `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'stuck'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

describe('FileWriteAheadLog writer', () => {
  it('writes a record issued any number of microtasks after the previous one settled', async () => {
    const log = await FileWriteAheadLog.open(dir, { fsync: { mode: 'never' } });
    const outcomes: string[] = [];
    for (let ticks = 0; ticks < 12; ticks++) {
      await log.write(Uint8Array.of(ticks), 0);
      for (let i = 0; i < ticks; i++) await null;
      const written = await within(log.write(Uint8Array.of(100 + ticks), 0), 2000);
      outcomes.push(written === 'stuck' ? `stuck after ${ticks} microtasks` : 'written');
    }
    expect(outcomes).toEqual(Array(12).fill('written'));
    const read: number[] = [];
    for await (const r of log.readAll()) read.push(r.data[0]!);
    expect(read).toEqual(Array.from({ length: 12 }, (_, i) => [i, 100 + i]).flat());
    await log.close();
  });
});
