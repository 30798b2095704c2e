/**
 * The batch log holds no secret and is private: a failure reason quoting a connection URL with
 * its password is written with the credentials redacted (as GET /api/batches shows it), and the
 * file the writer creates is 0600.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/events/batch-events.js';
import { BatchLogWriter } from '../../src/telemetry/batch-log-writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ss-batch-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PASSWORD = 'PgS3cret-batch-log';

function failedBatch(batchTime: number): CompletedBatchRecord {
  return {
    app: 'orders',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime,
    processingEndTime: batchTime + 5,
    schedulingDelayMs: 0,
    processingDelayMs: 5,
    totalDelayMs: 5,
    numRecords: 3,
    outcome: 'failed',
    inputs: [],
    outputOperations: [
      {
        id: 0,
        name: 'foreachRDD',
        startTime: batchTime,
        endTime: batchTime + 5,
        failureReason: `connect ECONNREFUSED for postgres://orders:${PASSWORD}@db.internal:5432/orders?sslpassword=${PASSWORD}`,
      },
    ],
    tasks: { total: 1, failed: 1, retried: 0 },
  };
}

describe('BatchLogWriter', () => {
  it('writes failure reasons without credentials, the rest of the record unchanged', async () => {
    const path = join(dir, 'batches.jsonl');
    const writer = new BatchLogWriter(path);
    writer.onBatchCompleted(failedBatch(1000));
    writer.onBatchCompleted(failedBatch(2000));
    await writer.flushed();
    expect(writer.errors).toBe(0);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(PASSWORD);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CompletedBatchRecord);
    expect(lines.map((l) => l.batchTime)).toEqual([1000, 2000]);
    const expected = failedBatch(1000);
    expect(lines[0]).toEqual({
      ...expected,
      outputOperations: [
        {
          ...expected.outputOperations[0],
          failureReason:
            'connect ECONNREFUSED for postgres://[redacted]@db.internal:5432/orders?sslpassword=[redacted]',
        },
      ],
    });
  });

  it('creates the log readable by its owner only', async () => {
    const path = join(dir, 'batches.jsonl');
    const writer = new BatchLogWriter(path);
    writer.onBatchCompleted(failedBatch(1000));
    await writer.flushed();
    const mode = (await stat(path)).mode & 0o777;
    expect(mode & 0o077, mode.toString(8)).toBe(0);
    expect(mode & 0o600, mode.toString(8)).toBe(0o600);
  });
});
