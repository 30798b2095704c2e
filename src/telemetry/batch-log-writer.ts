/**
 * BatchLogWriter: appends every completed batch record as one JSON line to a file (the batch log,
 * `--batch-log FILE`), in completion order. Appends are chained, never concurrent, and a failed
 * append is counted, never thrown: the batch itself is unaffected by its log.
 */
import { appendFile } from 'node:fs/promises';
import type { CompletedBatchRecord } from '../events/batch-events.js';
import type { StreamingListener } from '../events/streaming-listener.js';

export class BatchLogWriter implements StreamingListener {
  private chain: Promise<void> = Promise.resolve();
  /** Appends that failed. */
  errors = 0;

  constructor(readonly path: string) {}

  onBatchCompleted(batch: CompletedBatchRecord): void {
    const line = `${JSON.stringify(batch)}\n`;
    this.chain = this.chain.then(() =>
      appendFile(this.path, line).catch(() => {
        this.errors++;
      }),
    );
  }

  /** Resolves once every record handed over so far is appended (or has failed). */
  flushed(): Promise<void> {
    return this.chain;
  }
}
