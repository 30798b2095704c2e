/**
 * textFileStream: each batch reads the files that appeared in a directory since the previous
 * batch, one partition per file, one record per line. As with Spark's FileInputDStream, files
 * must be moved into the directory atomically (write elsewhere, then rename); names starting with
 * '.' or '_' are ignored so in-progress files can be written in place under such a name.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { InputBatch, InputContext, InputSource } from '../dstream/input-source.js';
import { RDD } from '../dstream/rdd.js';
import { SidestreamError } from '../errors.js';
import { startedContext } from './started-context.js';

export class TextFileSource implements InputSource<string> {
  readonly name: string;
  private ctx: InputContext | undefined;
  private readonly seen = new Set<string>();

  constructor(private readonly dir: string) {
    this.name = `files:${dir}`;
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
      const text = await readFile(path, 'utf8');
      const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      files.push(lines);
    }
    const rdd = RDD.fromPartitions(ctx.rddEnv, files, 'textFiles');
    return { rdd, numRecords: files.reduce((n, f) => n + f.length, 0) };
  }

  stop(): void {}
}
