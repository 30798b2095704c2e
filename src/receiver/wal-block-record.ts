/**
 * The receiver data log's record format: a block's records followed by what identifies the block
 * (id, stream, record count, time), so that the data log alone can rebuild the block's
 * ReceivedBlockInfo when the block journal lost it (docs/receivers.md, "After journal damage").
 *
 *   record = items + info + info length (u32) + version (u16) + magic "SSBLK" 0xFF
 *
 * `items` is the node:v8 serialisation of the block's array of records, `info` a UTF-8 JSON
 * object; integers are little-endian. The block's info follows its records, never precedes them:
 * v8's deserialize reads one value and ignores what follows it, so a sidestream from before this
 * format still reads the records of a new one. A record written before it (items only) has no
 * magic: a v8 serialisation of an array ends with a varint, whose last byte is below 0x80, while
 * the magic's last byte is 0xFF, so the two can never be confused.
 */
import { SidestreamError } from '../errors.js';

export const BLOCK_RECORD_MAGIC = Buffer.from([0x53, 0x53, 0x42, 0x4c, 0x4b, 0xff]);
export const BLOCK_RECORD_VERSION = 1;
/** info length (u32) + version (u16) + magic. */
const TAIL_BYTES = 4 + 2 + BLOCK_RECORD_MAGIC.length;

/** What a data record says about its block; with the record's place in the log, a ReceivedBlockInfo. */
export interface BlockRecordInfo {
  readonly id: string;
  readonly streamId: number;
  readonly numRecords: number;
  /** The block's write time, as in its ReceivedBlockInfo (also the record's time in the log). */
  readonly timeMs: number;
}

export interface DecodedBlockRecord {
  /** Absent for a record written before blocks carried their info. */
  readonly info: BlockRecordInfo | undefined;
  /** The v8 serialisation of the block's records (a view into the payload). */
  readonly items: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeBlockRecord(info: BlockRecordInfo, items: Uint8Array): Buffer {
  const json = encoder.encode(
    JSON.stringify({
      id: info.id,
      streamId: info.streamId,
      numRecords: info.numRecords,
      timeMs: info.timeMs,
    }),
  );
  const record = Buffer.allocUnsafe(items.length + json.length + TAIL_BYTES);
  record.set(items, 0);
  record.set(json, items.length);
  let at = items.length + json.length;
  record.writeUInt32LE(json.length, at);
  at += 4;
  record.writeUInt16LE(BLOCK_RECORD_VERSION, at);
  at += 2;
  BLOCK_RECORD_MAGIC.copy(record, at);
  return record;
}

/**
 * Splits a data record into its block's info and records. Throws SS_WAL_FORMAT_UNKNOWN for a
 * record of a newer format version, and an Error for a record whose info is unreadable (its
 * checksum passed, so only a bug or a foreign writer produces one); `where` names it in both.
 */
export function decodeBlockRecord(payload: Uint8Array, where: string): DecodedBlockRecord {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const end = buf.length;
  if (end < TAIL_BYTES || !buf.subarray(end - BLOCK_RECORD_MAGIC.length).equals(BLOCK_RECORD_MAGIC)) {
    return { info: undefined, items: payload };
  }
  const version = buf.readUInt16LE(end - BLOCK_RECORD_MAGIC.length - 2);
  if (version !== BLOCK_RECORD_VERSION) {
    throw new SidestreamError(
      'SS_WAL_FORMAT_UNKNOWN',
      `Receiver data record ${where} has block record format version ${version}; this sidestream ` +
        `reads only version ${BLOCK_RECORD_VERSION}. It was probably written by a newer sidestream: ` +
        'run that version, or move the log out of the checkpoint directory if its blocks are not needed.',
    );
  }
  const infoBytes = buf.readUInt32LE(end - TAIL_BYTES);
  const itemsEnd = end - TAIL_BYTES - infoBytes;
  if (itemsEnd < 0) throw new Error(`receiver data record ${where}: its block info overruns the record`);
  let info: unknown;
  try {
    info = JSON.parse(decoder.decode(buf.subarray(itemsEnd, end - TAIL_BYTES)));
  } catch (error) {
    throw new Error(`receiver data record ${where}: its block info is not JSON`, { cause: error });
  }
  if (!isBlockRecordInfo(info)) {
    throw new Error(
      `receiver data record ${where}: its block info lacks an id, stream, record count or time`,
    );
  }
  return { info, items: payload.subarray(0, itemsEnd) };
}

function isBlockRecordInfo(x: unknown): x is BlockRecordInfo {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return (
    typeof o.id === 'string' &&
    Number.isInteger(o.streamId) &&
    Number.isInteger(o.numRecords) &&
    typeof o.timeMs === 'number' &&
    Number.isFinite(o.timeMs)
  );
}
