/** FileWriteAheadLog on a real filesystem: framing, rolling, cleanup, fsync policies, recovery. */
import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import {
  FileWriteAheadLog,
  type FileWriteAheadLogOptions,
  segmentName,
  WAL_FRAME_HEADER_BYTES,
  WAL_HEADER_BYTES,
  WAL_MAGIC,
} from '../../src/state/file-write-ahead-log.js';
import type { WalRecordRef, WalTruncation } from '../../src/state/write-ahead-log.js';
import { RecordingBus } from '../support/recording-bus.js';

let dir: string;
const logs: FileWriteAheadLog[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-wal-'));
});
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
  await rm(dir, { recursive: true, force: true });
});

interface Seen {
  /** What recovery repaired at open (the log's own record of it). */
  readonly truncated: readonly WalTruncation[];
  /** onWalError events other than recovery's, as posted on the bus. */
  readonly errors: { op: string; message: string }[];
  /** Records per onWalWritten event. */
  readonly writes: number[];
}

async function openLog(options: FileWriteAheadLogOptions = {}) {
  const bus = new RecordingBus();
  const log = await FileWriteAheadLog.open(dir, { ...options, events: bus, kind: 'block-journal' });
  // Every repair recovery made is posted once, as an onWalError of op 'recover' saying where and why.
  expect(bus.payloads('onWalError').filter((e) => e.op === 'recover')).toEqual(
    log.truncations.map((t) => ({
      log: 'block-journal',
      op: 'recover',
      message: `${t.segment}: truncated at byte ${t.offset} (${t.droppedBytes} bytes dropped): ${t.reason}`,
      droppedBytes: t.droppedBytes,
    })),
  );
  const seen: Seen = {
    truncated: log.truncations,
    get errors() {
      return bus
        .payloads('onWalError')
        .filter((e) => e.op !== 'recover')
        .map((e) => ({ op: e.op, message: e.message }));
    },
    get writes() {
      return bus.payloads('onWalWritten').map((w) => w.records);
    },
  };
  logs.push(log);
  return { log, seen };
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function readAllOf(log: FileWriteAheadLog) {
  const out: { data: string; timeMs: number; ref: WalRecordRef }[] = [];
  for await (const r of log.readAll()) out.push({ data: str(r.data), timeMs: r.timeMs, ref: r.ref });
  return out;
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.wal')).sort();
}

async function flipByte(path: string, offset: number): Promise<void> {
  const file = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await file.read(b, 0, 1, offset);
    b[0] = b[0]! ^ 0x5a;
    await file.write(b, 0, 1, offset);
  } finally {
    await file.close();
  }
}

describe('FileWriteAheadLog', () => {
  it('reads back what it wrote, by ref and in order, also after reopening', async () => {
    const { log } = await openLog();
    const refs = [];
    for (const [i, s] of ['alpha', '', 'gamma'.repeat(1000)].entries())
      refs.push(await log.write(text(s), i));
    expect(refs[0]).toEqual({ segment: segmentName(0, 0), offset: WAL_HEADER_BYTES, length: 5 });
    expect(refs[1]!.offset).toBe(WAL_HEADER_BYTES + WAL_FRAME_HEADER_BYTES + 5);
    expect(str(await log.read(refs[2]!))).toBe('gamma'.repeat(1000));
    expect(str(await log.read(refs[1]!))).toBe('');
    const all = await readAllOf(log);
    expect(all.map((r) => [r.data.length, r.timeMs])).toEqual([
      [5, 0],
      [0, 1],
      [5000, 2],
    ]);
    expect(all.map((r) => r.ref)).toEqual(refs);
    await log.close();

    const { log: again, seen } = await openLog();
    expect(seen.truncated).toEqual([]);
    expect((await readAllOf(again)).map((r) => r.data)).toEqual(all.map((r) => r.data));
    expect(str(await again.read(refs[0]!))).toBe('alpha');
  });

  it('rolls to a new segment by record time, named to sort in write order', async () => {
    const { log } = await openLog({ rollIntervalMs: 1000 });
    for (const t of [0, 500, 999, 1000, 1200, 5000, 4000]) await log.write(text(`t${t}`), t);
    // 4000 is older than its segment's start but stays in it: segments never go back in time.
    expect(await segmentFiles()).toEqual([segmentName(0, 0), segmentName(1000, 1), segmentName(5000, 2)]);
    await log.close();
    const { log: again } = await openLog({ rollIntervalMs: 1000 });
    await again.write(text('after'), 100); // an older time after a restart: a new, later segment
    expect((await segmentFiles()).at(-1)).toBe(segmentName(5000, 3));
    expect((await readAllOf(again)).map((r) => r.data)).toEqual([
      't0',
      't500',
      't999',
      't1000',
      't1200',
      't5000',
      't4000',
      'after',
    ]);
  });

  it('cleans whole segments older than the threshold, never the active one', async () => {
    const { log } = await openLog({ rollIntervalMs: 1000 });
    for (const t of [0, 500, 1000, 1500, 2000, 2100]) await log.write(text(`t${t}`), t);
    await log.clean(1000);
    expect(await segmentFiles()).toEqual([segmentName(1000, 1), segmentName(2000, 2)]);
    await log.clean(1500); // the 1000 segment's newest record is 1500: not older than 1500
    expect(await segmentFiles()).toHaveLength(2);
    await log.clean(Number.MAX_SAFE_INTEGER);
    expect(await segmentFiles()).toEqual([segmentName(2000, 2)]);
    expect((await readAllOf(log)).map((r) => r.data)).toEqual(['t2000', 't2100']);
    await expect(
      log.read({ segment: segmentName(0, 0), offset: WAL_HEADER_BYTES, length: 2 }),
    ).rejects.toThrow(/not in/);
    await log.close();
    // After a restart nothing is active: recovered segments are cleaned by their record times.
    const { log: again } = await openLog({ rollIntervalMs: 1000 });
    await again.clean(2100);
    expect(await segmentFiles()).toHaveLength(1);
    await again.clean(2101);
    expect(await segmentFiles()).toEqual([]);
  });

  it("'always' groups concurrent writes into one write and one fdatasync", async () => {
    const { log, seen } = await openLog();
    const n = 200;
    const refs = await Promise.all(Array.from({ length: n }, (_, i) => log.write(text(`r${i}`), i)));
    // One sync for the new segment's header, then the first write alone, then groups of the rest.
    expect(log.syncs).toBeLessThan(n / 4);
    expect(seen.writes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(Math.max(...seen.writes)).toBeGreaterThan(1);
    expect(new Set(refs.map((r) => r.offset)).size).toBe(n);
    expect((await readAllOf(log)).map((r) => r.data)).toEqual(Array.from({ length: n }, (_, i) => `r${i}`));
  });

  it("'always' syncs once per sequential write", async () => {
    const { log } = await openLog({ fsync: { mode: 'always' } });
    await log.write(text('first'), 0); // creates the segment: header sync + record sync
    const before = log.syncs;
    for (let i = 0; i < 10; i++) await log.write(text(`r${i}`), i);
    expect(log.syncs - before).toBe(10);
  });

  it("'interval' syncs on its timer, at most once per interval, and on close", async () => {
    const { log } = await openLog({ fsync: { mode: 'interval', intervalMs: 30 } });
    await log.write(text('a'), 0);
    const afterRoll = log.syncs; // the new segment is made durable when created
    for (let i = 0; i < 50; i++) await log.write(text(`r${i}`), i);
    expect(log.syncs).toBe(afterRoll);
    await new Promise((r) => setTimeout(r, 150));
    expect(log.syncs).toBe(afterRoll + 1); // dirty once, synced once, idle after
    await log.write(text('last'), 99);
    await log.close();
    expect(log.syncs).toBe(afterRoll + 2);
    const { log: again } = await openLog();
    expect(await readAllOf(again)).toHaveLength(52);
  });

  it("'interval' syncs beside the writer without tripping over rolls", async () => {
    const { log, seen } = await openLog({ fsync: { mode: 'interval', intervalMs: 1 }, rollIntervalMs: 10 });
    for (let i = 0; i < 300; i++) {
      await log.write(text(`r${i}`), i);
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 2)); // let the timer fire
    }
    await log.close();
    expect(seen.errors).toEqual([]);
    expect((await segmentFiles()).length).toBe(30);
    const { log: again } = await openLog();
    expect((await readAllOf(again)).map((r) => r.data)).toEqual(
      Array.from({ length: 300 }, (_, i) => `r${i}`),
    );
  });

  it("'never' leaves syncing to the OS until close", async () => {
    const { log } = await openLog({ fsync: { mode: 'never' } });
    for (let i = 0; i < 20; i++) await log.write(text(`r${i}`), i);
    expect(log.syncs).toBe(0);
    await log.close();
    await log.close(); // idempotent
    await expect(log.write(text('x'), 0)).rejects.toThrow(/closed/);
    const { log: again } = await openLog();
    expect(await readAllOf(again)).toHaveLength(20);
  });

  it('rejects invalid options with SS_CONFIG_INVALID', async () => {
    await expect(FileWriteAheadLog.open(dir, { rollIntervalMs: 0 })).rejects.toSatisfy((e) =>
      isSidestreamError(e, 'SS_CONFIG_INVALID'),
    );
    await expect(
      FileWriteAheadLog.open(dir, { fsync: { mode: 'interval', intervalMs: -1 } }),
    ).rejects.toSatisfy((e) => isSidestreamError(e, 'SS_CONFIG_INVALID'));
  });

  describe('recovery', () => {
    async function writeThree(): Promise<{ refs: WalRecordRef[]; path: string }> {
      const { log } = await openLog();
      const refs = [];
      for (const s of ['one', 'two', 'three']) refs.push(await log.write(text(s), 1));
      await log.close();
      return { refs, path: join(dir, refs[0]!.segment) };
    }

    it('truncates a torn tail at the last good record, reports it, and appends after it', async () => {
      const { refs, path } = await writeThree();
      const full = (await stat(path)).size;
      await truncate(path, full - 3); // the last frame loses its last 3 bytes
      const { log, seen } = await openLog();
      const goodEnd = refs[2]!.offset;
      expect(seen.truncated).toEqual([
        {
          segment: refs[0]!.segment,
          offset: goodEnd,
          droppedBytes: full - 3 - goodEnd,
          reason: expect.any(String),
        },
      ]);
      expect(seen.truncated[0]!.reason).toMatch(/torn record.*truncated/);
      expect((await stat(path)).size).toBe(goodEnd);
      expect((await readAllOf(log)).map((r) => r.data)).toEqual(['one', 'two']);
      await log.write(text('four'), 2);
      expect((await readAllOf(log)).map((r) => r.data)).toEqual(['one', 'two', 'four']);
      await log.close();
      const { log: again, seen: seenAgain } = await openLog();
      expect(seenAgain.truncated).toEqual([]);
      expect((await readAllOf(again)).map((r) => r.data)).toEqual(['one', 'two', 'four']);
    });

    it('truncates a tail torn inside a frame header', async () => {
      const { refs, path } = await writeThree();
      await truncate(path, refs[2]!.offset + 5);
      const { log, seen } = await openLog();
      expect(seen.truncated[0]).toMatchObject({ offset: refs[2]!.offset, droppedBytes: 5 });
      expect(seen.truncated[0]!.reason).toMatch(/torn frame header/);
      expect(await readAllOf(log)).toHaveLength(2);
    });

    it('drops the last record when one of its bits flipped', async () => {
      const { refs, path } = await writeThree();
      await flipByte(path, refs[2]!.offset + WAL_FRAME_HEADER_BYTES + 1);
      const { log, seen } = await openLog();
      expect(seen.truncated).toHaveLength(1);
      expect(seen.truncated[0]!.reason).toMatch(/checksum mismatch/);
      expect((await readAllOf(log)).map((r) => r.data)).toEqual(['one', 'two']);
      await expect(log.read(refs[2]!)).rejects.toThrow(/not in/);
    });

    it('stops at a damaged middle record of the newest segment (the rest of it is cut)', async () => {
      const { refs, path } = await writeThree();
      await flipByte(path, refs[1]!.offset + 9); // inside timeMs, covered by the CRC
      const { log, seen } = await openLog();
      expect(seen.truncated).toEqual([expect.objectContaining({ offset: refs[1]!.offset })]);
      expect((await readAllOf(log)).map((r) => r.data)).toEqual(['one']);
    });

    it('reads past a damaged older segment without truncating it, and reports it', async () => {
      const { log } = await openLog({ rollIntervalMs: 10 });
      const refs = [];
      for (const [s, t] of [
        ['a1', 0],
        ['a2', 1],
        ['a3', 2],
        ['b1', 10],
        ['b2', 11],
      ] as const) {
        refs.push(await log.write(text(s), t));
      }
      await log.close();
      const older = join(dir, refs[0]!.segment);
      const size = (await stat(older)).size;
      await flipByte(older, refs[1]!.offset + WAL_FRAME_HEADER_BYTES);
      const { log: again, seen } = await openLog({ rollIntervalMs: 10 });
      expect(seen.truncated).toEqual([
        {
          segment: refs[0]!.segment,
          offset: refs[1]!.offset,
          droppedBytes: size - refs[1]!.offset,
          reason: expect.stringMatching(/checksum mismatch.*older segment left as is/),
        },
      ]);
      expect((await stat(older)).size).toBe(size);
      expect((await readAllOf(again)).map((r) => r.data)).toEqual(['a1', 'b1', 'b2']);
      // A damaged record is rejected by read() too, never returned.
      await expect(again.read(refs[2]!)).rejects.toThrow();
      expect(str(await again.read(refs[3]!))).toBe('b1');
    });

    it('removes zero-length segments without a report', async () => {
      const { refs } = await writeThree();
      await writeFile(join(dir, segmentName(5, 7)), '');
      await writeFile(join(dir, segmentName(0, 5)), '');
      const { log, seen } = await openLog();
      expect(seen.truncated).toEqual([]);
      expect(await segmentFiles()).toEqual([refs[0]!.segment]);
      expect(await readAllOf(log)).toHaveLength(3);
      // Sequence numbers continue after the removed file's, so no name is ever reused.
      await log.write(text('x'), 10);
      expect((await segmentFiles()).at(-1)).toBe(segmentName(10, 8));
    });

    it('reports and removes a newest segment without the magic bytes', async () => {
      const { refs } = await writeThree();
      await writeFile(join(dir, segmentName(9, 1)), 'not a wal segment at all');
      const { log, seen } = await openLog();
      expect(seen.truncated).toEqual([
        {
          segment: segmentName(9, 1),
          offset: 0,
          droppedBytes: 24,
          reason: expect.stringMatching(/magic bytes are missing/),
        },
      ]);
      expect(await segmentFiles()).toEqual([refs[0]!.segment]);
      expect(await readAllOf(log)).toHaveLength(3);
    });

    it('refuses a segment of an unknown format version, naming the file and changing nothing', async () => {
      const { path } = await writeThree();
      const newer = join(dir, segmentName(9, 1));
      const header = Buffer.alloc(WAL_HEADER_BYTES + 10, 0xee);
      WAL_MAGIC.copy(header);
      header.writeUInt16LE(2, WAL_MAGIC.length);
      await writeFile(newer, header);
      await truncate(path, (await stat(path)).size - 1); // a torn tail that must NOT be cut now
      const sizeBefore = (await stat(path)).size;
      const error = await FileWriteAheadLog.open(dir).catch((e: unknown) => e);
      expect(isSidestreamError(error, 'SS_WAL_FORMAT_UNKNOWN')).toBe(true);
      expect((error as Error).message).toContain(newer);
      expect((error as Error).message).toMatch(/version 2/);
      expect((await stat(path)).size).toBe(sizeBefore);
      expect(await readFile(newer)).toEqual(header);
    });
  });
});
