/**
 * An in-memory WriteAheadLog for unit tests of what sits on top of the log (block tracker,
 * block handlers). Records survive "restarts" as long as the same instance is reused; `failWrites`
 * makes writes reject, as a full disk would.
 */
import type { WalRecordRef, WriteAheadLog } from '../../src/state/write-ahead-log.js';

export class MemoryWal implements WriteAheadLog {
  records: { ref: WalRecordRef; data: Uint8Array; timeMs: number }[] = [];
  failWrites = false;
  closed = 0;
  private seq = 0;

  async write(data: Uint8Array, timeMs: number): Promise<WalRecordRef> {
    if (this.failWrites) throw new Error('ENOSPC: no space left on device');
    const ref = { segment: 'mem', offset: this.seq++, length: data.length };
    this.records.push({ ref, data: new Uint8Array(data), timeMs });
    return ref;
  }

  async read(ref: WalRecordRef): Promise<Uint8Array> {
    const r = this.records.find((x) => x.ref.offset === ref.offset);
    if (!r) throw new Error(`no record at ${ref.offset}`);
    return r.data;
  }

  async *readAll() {
    for (const r of [...this.records]) yield r;
  }

  async clean(thresholdTimeMs: number): Promise<void> {
    this.records = this.records.filter((r) => r.timeMs >= thresholdTimeMs);
  }

  async close(): Promise<void> {
    this.closed++;
  }
}
