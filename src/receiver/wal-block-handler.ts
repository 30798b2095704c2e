/**
 * WalBlockHandler: writes every block to the receiver data write-ahead log BEFORE the block
 * counts as stored, so nothing a source was told is safe can be lost by a crash. Records are
 * serialised with node:v8 (structured clone: plain objects, arrays, Maps, Dates, Buffers, ...).
 * The in-memory copy serves the normal path; the log is read only after a restart.
 */
import { deserialize, serialize } from 'node:v8';
import type { WriteAheadLog } from '../state/write-ahead-log.js';
import type { BlockHandler, StoredBlock } from './block-handler.js';
import type { ReceivedBlockInfo } from './received-block.js';

export class WalBlockHandler<T> implements BlockHandler<T> {
  readonly durable = true;
  private readonly blocks = new Map<string, readonly T[]>();

  constructor(private readonly wal: WriteAheadLog) {}

  async store(id: string, items: readonly T[], timeMs: number): Promise<StoredBlock> {
    const bytes = serialize(items);
    const ref = await this.wal.write(bytes, timeMs);
    this.blocks.set(id, items);
    return { bytes: bytes.length, ref };
  }

  async read(info: ReceivedBlockInfo): Promise<readonly T[]> {
    const items = this.blocks.get(info.id);
    if (items) return items;
    if (!info.ref) throw new Error(`block ${info.id} has no write-ahead log reference`);
    return deserialize(await this.wal.read(info.ref)) as T[];
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
