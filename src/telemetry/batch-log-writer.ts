/**
 * BatchLogWriter: appends every completed batch record as one JSON line to a file (the batch log,
 * `--batch-log FILE`), in completion order. Appends are chained, never concurrent, and a failed
 * append is counted, never thrown: the batch itself is unaffected by its log.
 *
 * A record's failure reasons are error messages, which may quote a connection URL with its
 * password (database drivers do): each line goes through redact.ts's rules, as GET /api/batches
 * does. A batch log the writer creates is 0600 (private-files.ts); one that exists keeps its mode.
 */
import { appendFile } from 'node:fs/promises';
import type { CompletedBatchRecord } from '../events/batch-events.js';
import type { StreamingListener } from '../events/streaming-listener.js';
import { PRIVATE_FILE_MODE } from '../private-files.js';
import { redactSecrets } from '../redact.js';

export class BatchLogWriter implements StreamingListener {
  private chain: Promise<void> = Promise.resolve();
  /** Appends that failed. */
  errors = 0;

  constructor(readonly path: string) {}

  onBatchCompleted(batch: CompletedBatchRecord): void {
    const line = `${JSON.stringify(redactSecrets(batch))}\n`;
    this.chain = this.chain.then(() =>
      appendFile(this.path, line, { mode: PRIVATE_FILE_MODE }).catch(() => {
        this.errors++;
      }),
    );
  }

  /** Resolves once every record handed over so far is appended (or has failed). */
  flushed(): Promise<void> {
    return this.chain;
  }
}
