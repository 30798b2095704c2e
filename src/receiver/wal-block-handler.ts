/**
 * WalBlockHandler: writes every block to the receiver data write-ahead log BEFORE the block
 * counts as stored, so nothing a source was told is safe can be lost by a crash. Records are
 * serialised with node:v8 (structured clone: plain objects, arrays, Maps, Dates, Buffers, ...)
 * and each data record carries its block's id, stream, record count and time
 * (wal-block-record.ts), so the data log alone can name the blocks it holds after a restart.
 * The in-memory copy serves the normal path; the log is read only after a restart.
 */
import { deserialize, serialize } from 'node:v8';
import { isSidestreamError } from '../errors.js';
import type { WalRecordRef, WriteAheadLog } from '../state/write-ahead-log.js';
import type { BlockHandler, StoredBlock } from './block-handler.js';
import type { ReceivedBlockInfo, StoredBlocks } from './received-block.js';
import { decodeBlockRecord, encodeBlockRecord } from './wal-block-record.js';

export class WalBlockHandler<T> implements BlockHandler<T> {
  readonly durable = true;
  private readonly blocks = new Map<string, readonly T[]>();

  constructor(
    private readonly wal: WriteAheadLog,
    private readonly streamId: number,
  ) {}

  async store(id: string, items: readonly T[], timeMs: number): Promise<StoredBlock> {
    const bytes = serialize(items);
    const record = encodeBlockRecord(
      { id, streamId: this.streamId, numRecords: items.length, timeMs },
      bytes,
    );
    const ref = await this.wal.write(record, timeMs);
    this.blocks.set(id, items);
    return { bytes: bytes.length, ref };
  }

  async read(info: ReceivedBlockInfo): Promise<readonly T[]> {
    const items = this.blocks.get(info.id);
    if (items) return items;
    if (!info.ref) throw new Error(`block ${info.id} has no write-ahead log reference`);
    const record = decodeBlockRecord(await this.wal.read(info.ref), describeRef(info.ref));
    return deserialize(record.items) as T[];
  }

  /**
   * Every block the data log holds, from the block info its records carry (the records
   * themselves are not deserialised). Throws SS_WAL_FORMAT_UNKNOWN for a record of a newer
   * format, like the log does for a newer segment.
   */
  async storedBlocks(): Promise<StoredBlocks> {
    const blocks: ReceivedBlockInfo[] = [];
    let legacyRecords = 0;
    let unreadable = 0;
    for await (const { ref, data } of this.wal.readAll()) {
      let record: ReturnType<typeof decodeBlockRecord>;
      try {
        record = decodeBlockRecord(data, describeRef(ref));
      } catch (error) {
        if (isSidestreamError(error, 'SS_WAL_FORMAT_UNKNOWN')) throw error;
        unreadable++;
        continue;
      }
      const { info } = record;
      if (!info) {
        legacyRecords++;
        continue;
      }
      blocks.push({ ...info, bytes: record.items.length, ref });
    }
    return { blocks, legacyRecords, unreadable };
  }

  forget(id: string): void {
    this.blocks.delete(id);
  }

  clean(beforeMs: number): Promise<void> {
    return this.wal.clean(beforeMs);
  }

  async close(): Promise<void> {
    this.blocks.clear();
    await this.wal.close();
  }
}

function describeRef(ref: WalRecordRef): string {
  return `${ref.segment}@${ref.offset}`;
}
