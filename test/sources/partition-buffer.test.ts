/** PartitionBuffer: ranges read exactly, and the timestamp lookup consumer lag is measured with. */
import { describe, expect, it } from 'vitest';
import type { RawKafkaMessage } from '../../src/sources/kafka/kafka-record.js';
import { PartitionBuffer } from '../../src/sources/kafka/partition-buffer.js';

const msg = (offset: number, timestamp = 1000 + offset): RawKafkaMessage => ({
  offset,
  key: null,
  value: Buffer.from(String(offset)),
  timestamp,
  headers: {},
});

describe('PartitionBuffer', () => {
  it('finds the timestamp of a held offset, and nothing for gaps, released or unfetched offsets', () => {
    const buffer = new PartitionBuffer(10);
    // Offsets 13 and 14 carry no data record (a transaction marker, compaction).
    buffer.append(
      buffer.epoch,
      [10, 11, 12, 15, 16].map((o) => msg(o)),
      16,
    );
    expect(buffer.timestampAt(10)).toBe(1010);
    expect(buffer.timestampAt(15)).toBe(1015);
    expect(buffer.timestampAt(16)).toBe(1016);
    expect(buffer.timestampAt(13)).toBeUndefined();
    expect(buffer.timestampAt(17)).toBeUndefined();
    buffer.release(12);
    expect(buffer.timestampAt(11)).toBeUndefined();
    expect(buffer.timestampAt(12)).toBe(1012);
  });

  it('a read of released records fails instead of returning a range without them; a reset serves it again', async () => {
    const buffer = new PartitionBuffer(0);
    buffer.append(buffer.epoch, [msg(0), msg(1), msg(2), msg(3)], 3);
    buffer.release(2);
    await expect(buffer.read(2, 4, 1000)).resolves.toHaveLength(2);
    const error = await buffer.read(0, 4, 1000).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SS_PARTITION_REVOKED' });
    expect((error as Error).message).toContain('offsets [0, 2) are no longer held');
    buffer.reset(0);
    buffer.append(buffer.epoch, [msg(0), msg(1), msg(2), msg(3)], 3);
    expect((await buffer.read(0, 4, 1000)).map((m) => m.offset)).toEqual([0, 1, 2, 3]);
  });

  it('reads exactly [from, until) once fetched, waiting for the fetch position', async () => {
    const buffer = new PartitionBuffer(0);
    const read = buffer.read(2, 5, 1000);
    buffer.append(
      buffer.epoch,
      [0, 1, 2, 3].map((o) => msg(o)),
      3,
    );
    buffer.append(
      buffer.epoch,
      [4, 5].map((o) => msg(o)),
      5,
    );
    expect((await read).map((m) => m.offset)).toEqual([2, 3, 4]);
    await expect(buffer.read(6, 8, 20)).rejects.toThrow(/timed out after 20 ms waiting for offsets \[6, 8\)/);
  });

  it('is full past its bound only while no read waits, and makes room once: below half, on a waiting read, on reset', async () => {
    const buffer = new PartitionBuffer(0);
    const range = (from: number, until: number) =>
      Array.from({ length: until - from }, (_, i) => msg(from + i));
    buffer.append(buffer.epoch, range(0, 10), 9);
    expect(buffer.isFullAt(10)).toBe(false);
    buffer.append(buffer.epoch, range(10, 12), 11);
    expect(buffer.isFullAt(10)).toBe(true);
    let resumed = 0;
    buffer.holdUntilRoom(10, () => resumed++);
    expect(buffer.held).toBe(true);
    // Releasing to 6 held records is not yet half the bound; to 5 it is.
    buffer.release(6);
    expect(resumed).toBe(0);
    buffer.release(7);
    expect(resumed).toBe(1);
    expect(buffer.held).toBe(false);
    buffer.release(8);
    expect(resumed).toBe(1);

    // A read that must wait for unfetched records resumes fetching at once.
    buffer.holdUntilRoom(2, () => resumed++);
    const waiting = buffer.read(8, 14, 1000);
    expect(resumed).toBe(2);
    expect(buffer.isFullAt(2)).toBe(false);
    buffer.append(buffer.epoch, range(12, 14), 13);
    expect((await waiting).map((m) => m.offset)).toEqual([8, 9, 10, 11, 12, 13]);

    buffer.holdUntilRoom(2, () => resumed++);
    buffer.reset(20);
    expect(resumed).toBe(3);
  });

  it('never pauses below a planned range, and planning one past the position resumes fetching at once', () => {
    const buffer = new PartitionBuffer(0);
    const range = (from: number, until: number) =>
      Array.from({ length: until - from }, (_, i) => msg(from + i));
    buffer.append(buffer.epoch, range(0, 12), 11);
    let resumed = 0;
    buffer.holdUntilRoom(10, () => resumed++);
    // A batch plans [0, 20): its task may start later, but fetching resumes now.
    buffer.planned(20);
    expect(resumed).toBe(1);
    buffer.append(buffer.epoch, range(12, 16), 15);
    expect(buffer.isFullAt(10)).toBe(false);
    buffer.append(buffer.epoch, range(16, 20), 19);
    expect(buffer.isFullAt(10)).toBe(true);
    // Planning within what is fetched resumes nothing.
    buffer.holdUntilRoom(10, () => resumed++);
    buffer.planned(18);
    expect(resumed).toBe(1);
  });
});
