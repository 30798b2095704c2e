/**
 * The receiver data log's record format (src/receiver/wal-block-record.ts) and WalBlockHandler on
 * a real FileWriteAheadLog: every record names its block; records written before that format
 * are still read, and never mistaken for new ones; a sidestream that predates the format reads
 * the records of a new one; a newer format version is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSidestreamError } from '../../src/errors.js';
import { WalBlockHandler } from '../../src/receiver/wal-block-handler.js';
import {
  BLOCK_RECORD_MAGIC,
  decodeBlockRecord,
  encodeBlockRecord,
} from '../../src/receiver/wal-block-record.js';
import { FileWriteAheadLog } from '../../src/state/file-write-ahead-log.js';

const info = { id: '3-abcdef01-7', streamId: 3, numRecords: 2, timeMs: 1_700_000_000_123 };

describe('block record format', () => {
  it('carries the block info after the records, and decodes both', () => {
    const items = serialize(['a', { b: 1 }]);
    const record = encodeBlockRecord(info, items);
    const decoded = decodeBlockRecord(record, 'test');
    expect(decoded.info).toEqual(info);
    expect(Buffer.from(decoded.items).equals(items)).toBe(true);
    expect(record.subarray(-BLOCK_RECORD_MAGIC.length).equals(BLOCK_RECORD_MAGIC)).toBe(true);
  });

  it('a sidestream from before the format reads the records of a new one (v8 ignores the info)', () => {
    const items = ['x', 'y', new Map([[1, 'z']])];
    expect(deserialize(encodeBlockRecord(info, serialize(items)))).toEqual(items);
  });

  it('a record written before the format (records only) decodes without info', () => {
    const items = serialize(['old', 'records']);
    const decoded = decodeBlockRecord(items, 'test');
    expect(decoded.info).toBeUndefined();
    expect(deserialize(decoded.items)).toEqual(['old', 'records']);
  });

  it('no array of records, however hostile, serialises to something that looks like a new record', () => {
    // A record whose last string ends with the magic itself still ends with v8's array trailer.
    const hostile = ['line', `{"id":"x","streamId":0,"numRecords":1,"timeMs":1}SSBL${'K\u00ff'}`];
    expect(decodeBlockRecord(serialize(hostile), 'test').info).toBeUndefined();
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.uint8Array(), fc.double(), fc.object()), { maxLength: 8 }),
        (items) => decodeBlockRecord(serialize(items), 'test').info === undefined,
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a record of a newer format version with SS_WAL_FORMAT_UNKNOWN', () => {
    const record = encodeBlockRecord(info, serialize(['a']));
    record.writeUInt16LE(2, record.length - BLOCK_RECORD_MAGIC.length - 2);
    let error: unknown;
    try {
      decodeBlockRecord(record, 'log-x.wal@8');
    } catch (e) {
      error = e;
    }
    expect(isSidestreamError(error, 'SS_WAL_FORMAT_UNKNOWN')).toBe(true);
    expect((error as Error).message).toMatch(/log-x\.wal@8.*version 2/);
  });

  it('rejects a record whose info is unreadable', () => {
    const record = encodeBlockRecord(info, serialize(['a']));
    record.writeUInt32LE(record.length, record.length - BLOCK_RECORD_MAGIC.length - 6);
    expect(() => decodeBlockRecord(record, 'r')).toThrow(/overruns/);
    const noId = encodeBlockRecord({ ...info, id: 5 as unknown as string }, serialize(['a']));
    expect(() => decodeBlockRecord(noId, 'r')).toThrow(/lacks an id/);
  });
});

describe('WalBlockHandler on a real log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-block-record-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the blocks the data log holds after a restart, old-format records counted apart', async () => {
    const wal = await FileWriteAheadLog.open(dir);
    // A record as a sidestream before block records wrote it.
    const legacyRef = await wal.write(serialize(['legacy-1', 'legacy-2']), 50);
    const handler = new WalBlockHandler<string>(wal, 4);
    const a = await handler.store('4-s-0', ['a1', 'a2', 'a3'], 100);
    const b = await handler.store('4-s-1', ['b1'], 200);
    await handler.close();

    const again = new WalBlockHandler<string>(await FileWriteAheadLog.open(dir), 4);
    const stored = await again.storedBlocks();
    expect(stored).toEqual({
      blocks: [
        { id: '4-s-0', streamId: 4, numRecords: 3, bytes: a.bytes, timeMs: 100, ref: a.ref },
        { id: '4-s-1', streamId: 4, numRecords: 1, bytes: b.bytes, timeMs: 200, ref: b.ref },
      ],
      legacyRecords: 1,
      unreadable: 0,
    });
    // Read back by reference, the new records and the old alike.
    expect(await again.read(stored.blocks[0]!)).toEqual(['a1', 'a2', 'a3']);
    const legacy = { id: 'old', streamId: 4, numRecords: 2, bytes: 0, timeMs: 50, ref: legacyRef };
    expect(await again.read(legacy)).toEqual(['legacy-1', 'legacy-2']);
    await again.close();
  });
});
