import { describe, expect, it } from 'vitest';
import {
  batchProgressFields,
  batchProgressListener,
  batchProgressMode,
  formatBatchProgress,
} from '../../src/agent/batch-progress.js';
import { createLogger } from '../../src/agent/logger.js';
import type { CompletedBatchRecord } from '../../src/events/index.js';

const batchTime = new Date(2026, 0, 1, 12, 0, 1).getTime();

function batch(overrides: Partial<CompletedBatchRecord> = {}): CompletedBatchRecord {
  return {
    app: 'clicks',
    batchTime,
    submissionTime: batchTime,
    generationDelayMs: 0,
    processingStartTime: batchTime + 1,
    processingEndTime: batchTime + 36,
    schedulingDelayMs: 1,
    processingDelayMs: 35,
    totalDelayMs: 36,
    numRecords: 1234,
    outcome: 'succeeded',
    inputs: [
      {
        streamId: 0,
        name: 'clicks',
        numRecords: 1234,
        offsetRanges: [],
        eventTimeLagMs: { avg: 50_000, max: 6_200, p50: 50_000, p99: 60_000 },
      },
    ],
    outputOperations: [],
    tasks: { total: 4, failed: 0, retried: 0 },
    ...overrides,
  };
}

describe('batch progress', () => {
  it('formats one line: time, records, delays, lag', () => {
    expect(formatBatchProgress(batch())).toBe(
      'batch 12:00:01.000  1,234 records  sched 1ms  proc 35ms  lag 6.2s',
    );
  });

  it('leaves the lag out without event times and marks a failed batch', () => {
    const failed = batch({ outcome: 'failed', inputs: [], tasks: { total: 4, failed: 4, retried: 3 } });
    expect(formatBatchProgress(failed)).toBe(
      'batch 12:00:01.000  1,234 records  sched 1ms  proc 35ms  FAILED (4 failed task attempts)',
    );
  });

  it('shows a generation delay of a second or more first, as gen', () => {
    const late = batch({ submissionTime: batchTime + 24_600, generationDelayMs: 24_600 });
    expect(formatBatchProgress(late)).toBe(
      'batch 12:00:01.000  1,234 records  gen 24.6s  sched 1ms  proc 35ms  lag 6.2s',
    );
    expect(formatBatchProgress(batch({ generationDelayMs: 999 }))).not.toContain('gen');
    expect(batchProgressFields(late)).toMatchObject({ generationDelayMs: 24_600, schedulingDelayMs: 1 });
  });

  it('a terminal reading text gets the line; json or a pipe gets a debug log line', () => {
    expect(batchProgressMode('text', true)).toBe('line');
    expect(batchProgressMode('text', false)).toBe('debug');
    expect(batchProgressMode('json', true)).toBe('debug');
    expect(batchProgressMode('json', false)).toBe('debug');
  });

  it('on a terminal: the line at info and above, nothing at --log-level warn', () => {
    const lines: string[] = [];
    const write = (line: string) => lines.push(line);
    batchProgressListener({
      logger: createLogger({ write }),
      format: 'text',
      isTTY: true,
      write,
    }).onBatchCompleted?.(batch());
    expect(lines).toEqual(['batch 12:00:01.000  1,234 records  sched 1ms  proc 35ms  lag 6.2s\n']);
    batchProgressListener({
      logger: createLogger({ level: 'warn', write }),
      format: 'text',
      isTTY: true,
      write,
    }).onBatchCompleted?.(batch());
    expect(lines).toHaveLength(1);
  });

  it('json: a structured debug line, shown only with --log-level debug', () => {
    const lines: string[] = [];
    const write = (line: string) => lines.push(line);
    const atInfo = createLogger({ format: 'json', write });
    batchProgressListener({ logger: atInfo, format: 'json', isTTY: true, write }).onBatchCompleted?.(batch());
    expect(lines).toEqual([]);
    const atDebug = createLogger({ format: 'json', level: 'debug', app: 'clicks', write });
    batchProgressListener({ logger: atDebug, format: 'json', isTTY: false, write }).onBatchCompleted?.(
      batch(),
    );
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'debug',
      app: 'clicks',
      ...batchProgressFields(batch()),
      eventTimeLagMaxMs: 6_200,
    });
  });
});
