/**
 * textFileStream reads bytes as the other text inputs do: invalid UTF-8 is replaced in its own
 * line, and a line over maxLineBytes is skipped, counted as a LineTooLong record error at its
 * byte offset, and the lines after it are read.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SourceEvent, StreamingContext } from '../../src/index.js';
import { waitFor } from '../support/manual-run.js';

let ssc: StreamingContext | undefined;
let dir: string | undefined;
afterEach(async () => {
  await ssc?.stop();
  ssc = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('textFileStream lines', () => {
  it('skips and reports a line over maxLineBytes, replaces invalid UTF-8, and reads the rest', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-files-lines-'));
    const events: SourceEvent[] = [];
    const lines: string[] = [];
    ssc = new StreamingContext({ appName: 'files', batchIntervalMs: 50, tracing: false });
    ssc.addStreamingListener({ onSourceEvent: (e) => events.push(e) });
    ssc.textFileStream(dir, { maxLineBytes: 32 }).foreachRDD(async (rdd) => {
      lines.push(...(await rdd.collect()));
    });
    await ssc.start();
    const content = Buffer.concat([
      Buffer.from(`ok\r\n${'x'.repeat(33)}\nbad`),
      Buffer.from([0xe2, 0x82]),
      Buffer.from(`\n${'y'.repeat(32)}\r\nlast`),
    ]);
    await writeFile(join(dir, '.a.tmp'), content);
    await rename(join(dir, '.a.tmp'), join(dir, 'a.txt'));
    await waitFor(() => lines.length >= 4, 5000, 'the lines of the file');
    expect(lines).toEqual(['ok', 'bad\uFFFD', 'y'.repeat(32), 'last']);
    expect(events).toEqual([
      {
        type: 'record-error',
        streamId: 0,
        stream: `files:${dir}`,
        position: `byte 4 of ${join(dir, 'a.txt')}`,
        errorType: 'LineTooLong',
        reason: expect.stringContaining('32 bytes'),
        deadLettered: false,
      },
    ]);
  });
});
