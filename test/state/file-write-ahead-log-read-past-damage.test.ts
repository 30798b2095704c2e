/**
 * FileWriteAheadLog recovery with `readPastDamage` (the block journal's setting, docs/wal.md):
 * damage at the start of a segment, inside it, in its header, in an older segment or the newest,
 * never costs the intact records after it; the damaged bytes stay and are reported where they
 * are; a torn tail is still cut as without the option. The property at the end checks it
 * against arbitrary damage.
 */
import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import {
  FileWriteAheadLog,
  type FileWriteAheadLogOptions,
  WAL_FORMAT_VERSION,
  WAL_FRAME_HEADER_BYTES,
  WAL_HEADER_BYTES,
  WAL_MAGIC,
} from '../../src/state/file-write-ahead-log.js';
import type { WalRecordRef } from '../../src/state/write-ahead-log.js';
import { RecordingBus } from '../support/recording-bus.js';

let dir: string;
const logs: FileWriteAheadLog[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-wal-past-'));
});
afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openLog(options: FileWriteAheadLogOptions = {}) {
  const bus = new RecordingBus();
  const log = await FileWriteAheadLog.open(dir, {
    readPastDamage: true,
    ...options,
    events: bus,
    kind: 'block-journal',
  });
  logs.push(log);
  return { log, bus };
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

async function readAllOf(log: FileWriteAheadLog): Promise<string[]> {
  const out: string[] = [];
  for await (const r of log.readAll()) out.push(str(r.data));
  return out;
}

/** Writes records `name` at time `t` each; returns their refs. */
async function write(
  records: readonly (readonly [string, number])[],
  options: FileWriteAheadLogOptions = {},
) {
  const { log } = await openLog(options);
  const refs: WalRecordRef[] = [];
  for (const [s, t] of records) refs.push(await log.write(text(s), t));
  await log.close();
  return refs;
}

async function overwrite(path: string, offset: number, bytes: Buffer): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(bytes, 0, bytes.length, offset);
  } finally {
    await file.close();
  }
}

const frameEnd = (ref: WalRecordRef) => ref.offset + WAL_FRAME_HEADER_BYTES + ref.length;
const five = ['r1', 'r2', 'r3', 'r4', 'r5'].map((s) => [`{"event":"${s}"}`, 1] as const);

describe('FileWriteAheadLog with readPastDamage', () => {
  it('damage at the start of the newest segment: the records after it are read, the bytes stay', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    const size = (await stat(path)).size;
    // The first two records are overwritten (as by a bad sector), the rest are intact.
    await overwrite(path, WAL_HEADER_BYTES, Buffer.alloc(frameEnd(refs[1]!) - WAL_HEADER_BYTES - 3, 0xa5));

    const { log, bus } = await openLog();
    expect(await readAllOf(log)).toEqual(five.slice(2).map(([s]) => s));
    expect(log.truncations).toEqual([
      {
        segment: refs[0]!.segment,
        offset: WAL_HEADER_BYTES,
        droppedBytes: refs[2]!.offset - WAL_HEADER_BYTES,
        reason: expect.stringMatching(
          new RegExp(`at offset 8; read on from the next intact record, at offset ${refs[2]!.offset} `),
        ),
      },
    ]);
    expect((await stat(path)).size).toBe(size);
    // Posted once, as the log's recover event, with the bytes it could not read.
    expect(bus.payloads('onWalError')).toEqual([
      expect.objectContaining({ log: 'block-journal', op: 'recover', droppedBytes: refs[2]!.offset - 8 }),
    ]);
    expect(str(await log.read(refs[3]!))).toBe(five[3]![0]);
    await expect(log.read(refs[0]!)).rejects.toThrow(/damaged/);

    // New records go to a new segment; a second open reads the same records again.
    await log.write(text('after'), 2);
    await log.close();
    const { log: again } = await openLog();
    expect(await readAllOf(again)).toEqual([...five.slice(2).map(([s]) => s), 'after']);
    expect(again.truncations).toHaveLength(1);
  });

  it('without the option the same damage drops the rest of the segment (the default)', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    await overwrite(path, WAL_HEADER_BYTES, Buffer.alloc(4, 0xa5));
    const { log } = await openLog({ readPastDamage: false });
    expect(await readAllOf(log)).toEqual([]);
    expect((await stat(path)).size).toBe(WAL_HEADER_BYTES);
  });

  it('damage inside a segment: the records on both sides of it are read', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    await overwrite(path, refs[2]!.offset + WAL_FRAME_HEADER_BYTES + 2, Buffer.from('XX'));
    const { log } = await openLog();
    expect(await readAllOf(log)).toEqual(['r1', 'r2', 'r4', 'r5'].map((s) => `{"event":"${s}"}`));
    expect(log.truncations).toEqual([
      expect.objectContaining({ offset: refs[2]!.offset, droppedBytes: refs[3]!.offset - refs[2]!.offset }),
    ]);
  });

  it('a zeroed block inside a segment and a torn tail: reads past the first, cuts the second', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    const full = (await stat(path)).size;
    await overwrite(path, refs[1]!.offset, Buffer.alloc(refs[2]!.offset - refs[1]!.offset + 5));
    await truncate(path, full - 3); // r5 torn
    const { log } = await openLog();
    expect(await readAllOf(log)).toEqual(['r1', 'r4'].map((s) => `{"event":"${s}"}`));
    expect(log.truncations).toEqual([
      expect.objectContaining({ offset: refs[1]!.offset, droppedBytes: refs[3]!.offset - refs[1]!.offset }),
      expect.objectContaining({
        offset: refs[4]!.offset,
        droppedBytes: full - 3 - refs[4]!.offset,
        reason: expect.stringMatching(/torn record.*truncated at the last intact record/),
      }),
    ]);
    expect((await stat(path)).size).toBe(refs[4]!.offset);
  });

  it('a torn tail alone is cut exactly as without the option', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    await truncate(path, frameEnd(refs[4]!) - 3);
    const { log } = await openLog();
    expect(log.truncations).toEqual([
      {
        segment: refs[0]!.segment,
        offset: refs[4]!.offset,
        droppedBytes: frameEnd(refs[4]!) - 3 - refs[4]!.offset,
        reason: expect.stringMatching(/^torn record .*; truncated at the last intact record$/),
      },
    ]);
    expect((await stat(path)).size).toBe(refs[4]!.offset);
    expect(await readAllOf(log)).toHaveLength(4);
  });

  it('a damaged segment header: the segment is kept and its records are read', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    await overwrite(path, 0, Buffer.from('garbage!'));
    const { log } = await openLog();
    expect(await readAllOf(log)).toEqual(five.map(([s]) => s));
    expect(log.truncations).toEqual([
      {
        segment: refs[0]!.segment,
        offset: 0,
        droppedBytes: WAL_HEADER_BYTES,
        reason: expect.stringMatching(
          /magic bytes are missing.*read on from the next intact record, at offset 8/,
        ),
      },
    ]);
    expect(await readdir(dir)).toEqual([refs[0]!.segment]);
  });

  it('damage at the start of an older segment: its later records and the newer segments are read', async () => {
    const refs = await write(
      [
        ['a1', 0],
        ['a2', 1],
        ['a3', 2],
        ['b1', 10],
        ['b2', 11],
      ],
      { rollIntervalMs: 10 },
    );
    const older = join(dir, refs[0]!.segment);
    const size = (await stat(older)).size;
    await overwrite(older, WAL_HEADER_BYTES + 1, Buffer.from([0xff, 0xff]));
    const { log } = await openLog({ rollIntervalMs: 10 });
    expect(await readAllOf(log)).toEqual(['a2', 'a3', 'b1', 'b2']);
    expect(log.truncations).toEqual([
      expect.objectContaining({ segment: refs[0]!.segment, offset: WAL_HEADER_BYTES }),
    ]);
    expect((await stat(older)).size).toBe(size);
    // cleanup still knows the older segment's newest time (2): it goes at threshold 3, not before.
    await log.clean(2);
    expect(await readAllOf(log)).toEqual(['a2', 'a3', 'b1', 'b2']);
    await log.clean(3);
    expect(await readAllOf(log)).toEqual(['b1', 'b2']);
  });

  it('a segment with nothing intact in it is handled as without the option', async () => {
    const refs = await write(five);
    await writeFile(join(dir, refs[0]!.segment), 'not a wal segment at all');
    const { log } = await openLog();
    expect(log.truncations).toEqual([
      expect.objectContaining({ offset: 0, droppedBytes: 24, reason: expect.stringMatching(/magic bytes/) }),
    ]);
    expect(await readdir(dir)).toEqual([]);
    expect(await readAllOf(log)).toEqual([]);
  });

  it('still refuses a segment of an unknown format version, changing nothing', async () => {
    const refs = await write(five);
    const path = join(dir, refs[0]!.segment);
    await overwrite(path, WAL_MAGIC.length, Buffer.from([7, 0]));
    const before = await readFile(path);
    const error = await FileWriteAheadLog.open(dir, { readPastDamage: true }).catch((e: unknown) => e);
    expect(isSidestreamError(error, 'SS_WAL_FORMAT_UNKNOWN')).toBe(true);
    expect(await readFile(path)).toEqual(before);
  });
});

interface Written {
  readonly data: string;
  readonly timeMs: number;
  readonly ref: WalRecordRef;
}

describe('FileWriteAheadLog with readPastDamage (property)', () => {
  it('never throws, returns only records written, in order, and every record whose bytes were not touched', async () => {
    const recordsArb = fc.array(
      fc.record({ text: fc.string({ maxLength: 60 }), timeMs: fc.integer({ min: 0, max: 3000 }) }),
      { minLength: 1, maxLength: 25 },
    );
    const damageArb = fc.record({
      pick: fc.nat(),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    });
    await fc.assert(
      fc.asyncProperty(
        recordsArb,
        fc.array(damageArb, { minLength: 1, maxLength: 3 }),
        async (records, damages) => {
          const d = await mkdtemp(join(tmpdir(), 'ss-wal-past-prop-'));
          try {
            const log = await FileWriteAheadLog.open(d, { fsync: { mode: 'never' }, rollIntervalMs: 1000 });
            const sorted = [...records].sort((a, b) => a.timeMs - b.timeMs);
            // JSON text, as the block journal writes: a payload never holds a frame.
            const written: Written[] = [];
            for (const r of sorted) {
              const data = JSON.stringify({ text: r.text });
              written.push({ data, timeMs: r.timeMs, ref: await log.write(text(data), r.timeMs) });
            }
            await log.close();

            const files = (await readdir(d)).sort();
            const touched = new Map<string, [number, number][]>();
            for (const { pick, at, bytes } of damages) {
              const name = files[pick % files.length]!;
              const content = await readFile(join(d, name));
              const from = at % content.length;
              const end = Math.min(content.length, from + bytes.length);
              const next = Buffer.from(content);
              next.set(bytes.subarray(0, end - from), from);
              await writeFile(join(d, name), next);
              touched.set(name, [...(touched.get(name) ?? []), [from, end]]);
            }
            let versionChanged = false;
            for (const file of files) {
              const content = await readFile(join(d, file));
              if (
                content.subarray(0, WAL_MAGIC.length).equals(WAL_MAGIC) &&
                content.readUInt16LE(WAL_MAGIC.length) !== WAL_FORMAT_VERSION
              ) {
                versionChanged = true;
              }
            }

            let reopened: FileWriteAheadLog;
            try {
              reopened = await FileWriteAheadLog.open(d, { readPastDamage: true });
            } catch (error) {
              expect(versionChanged && isSidestreamError(error, 'SS_WAL_FORMAT_UNKNOWN')).toBe(true);
              return;
            }
            expect(versionChanged).toBe(false);
            const got: string[] = [];
            for await (const r of reopened.readAll()) {
              got.push(`${r.timeMs}:${str(r.data)}`);
              expect(str(await reopened.read(r.ref))).toBe(str(r.data));
            }
            // Only written records, in write order...
            let j = 0;
            for (const g of got) {
              while (j < written.length && `${written[j]!.timeMs}:${written[j]!.data}` !== g) j++;
              expect(j).toBeLessThan(written.length);
              j++;
            }
            // ...and none whose frame the damage left alone is missing.
            const untouched = written.filter((w) =>
              (touched.get(w.ref.segment) ?? []).every(
                ([from, end]) => end <= w.ref.offset || from >= frameEnd(w.ref),
              ),
            );
            for (const w of untouched) expect(got).toContain(`${w.timeMs}:${w.data}`);
            await reopened.close();
          } finally {
            await rm(d, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
