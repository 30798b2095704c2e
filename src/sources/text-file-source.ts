/**
 * textFileStream: each batch reads the files that appeared in a directory since the previous
 * batch, one partition per file, one record per line. As with Spark's FileInputDStream, files
 * must be moved into the directory atomically (write elsewhere, then rename); names starting with
 * '.' or '_' are ignored so in-progress files can be written in place under such a name.
 *
 * Files are read as bytes and split by the LineSplitter, as the other text inputs: invalid UTF-8
 * becomes U+FFFD in its own line, and a line longer than `maxLineBytes` is skipped without being
 * held, reported as a `LineTooLong` record error at its byte offset, and written to the
 * dead-letter file when one is set.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputBatch, InputContext, InputSource } from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import { describeError, SidestreamError } from '../errors.js';
import { DeadLetterFile } from './dead-letter-file.js';
import { LineSplitter, maxLineBytesOption } from './line-splitter.js';
import { RejectedLineReporter } from './rejected-line-reporter.js';
import { startedContext } from './started-context.js';

export interface TextFileStreamOptions {
  /**
   * Longest line taken in, in bytes (its \n or \r\n not counted); a longer one is skipped and
   * counted as a `LineTooLong` record error. Default 1 MiB; from 16 bytes to 256 MiB.
   */
  maxLineBytes?: number;
  /**
   * Append each rejected line (its first bytes, at most 4 KiB, and its length; one JSON object
   * per line) to this file, created with mode 0600. Default: none, rejected lines are only counted.
   */
  deadLetterPath?: string;
}

export class TextFileSource implements InputSource<string> {
  readonly name: string;
  private ctx: InputContext | undefined;
  private readonly seen = new Set<string>();
  private readonly maxLineBytes: number;
  private readonly rejected: RejectedLineReporter;

  constructor(
    private readonly dir: string,
    options: TextFileStreamOptions = {},
  ) {
    this.name = `files:${dir}`;
    this.maxLineBytes = maxLineBytesOption(options.maxLineBytes, this.name);
    this.rejected = new RejectedLineReporter({
      stream: this.name,
      maxLineBytes: this.maxLineBytes,
      report: (errorType, reason, details) => {
        const ctx = startedContext(this.ctx, this.name);
        ctx.report({
          type: 'record-error',
          streamId: ctx.streamId,
          stream: this.name,
          ...(details.position === undefined ? {} : { position: details.position }),
          errorType,
          reason,
          deadLettered: details.deadLettered ?? false,
        });
      },
      deadLetter:
        options.deadLetterPath === undefined
          ? undefined
          : new DeadLetterFile(options.deadLetterPath, (message, error) => {
              const ctx = startedContext(this.ctx, this.name);
              ctx.report({
                type: 'input-error',
                streamId: ctx.streamId,
                stream: this.name,
                operation: 'read',
                message: `${message}: ${describeError(error)}`,
              });
            }),
    });
  }

  async start(ctx: InputContext): Promise<void> {
    this.ctx = ctx;
    const info = await stat(this.dir).catch((error: unknown) => {
      throw new SidestreamError(
        'SS_SOURCE_FAILED',
        `textFileStream: cannot read directory ${this.dir}; create it first`,
        {
          cause: error,
        },
      );
    });
    if (!info.isDirectory()) {
      throw new SidestreamError('SS_SOURCE_FAILED', `textFileStream: ${this.dir} is not a directory`);
    }
  }

  async generate(): Promise<InputBatch<string>> {
    const ctx = startedContext(this.ctx, this.name);
    const names = (await readdir(this.dir)).filter((n) => !n.startsWith('.') && !n.startsWith('_')).sort();
    const files: string[][] = [];
    for (const name of names) {
      if (this.seen.has(name)) continue;
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      this.seen.add(name);
      files.push(await this.readLines(path));
    }
    const rdd = RDD.fromPartitions(ctx.rddEnv, files, 'textFiles');
    return { rdd, numRecords: files.reduce((n, f) => n + f.length, 0) };
  }

  /** Every line of the file; the last one needs no newline. */
  private async readLines(path: string): Promise<string[]> {
    const lines: string[] = [];
    const splitter = new LineSplitter({
      maxLineBytes: this.maxLineBytes,
      keepHeadBytes: this.rejected.keepHeadBytes,
    });
    const out = this.rejected.collect(lines, (l) => `byte ${l.startByte} of ${path}`);
    for await (const chunk of createReadStream(path)) splitter.push(chunk as Buffer, out);
    splitter.end(out);
    return lines;
  }

  stop(): void {}
}
