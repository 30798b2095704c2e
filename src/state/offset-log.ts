/**
 * The offset log of direct Kafka streams (docs/kafka.md): every batch's planned ranges, BOTH
 * from and until per partition, are written durably under `offsets/<batchTime>` BEFORE the batch
 * runs, and `commits/<batchTime>` is written after every output operation succeeded. After any
 * restart the newest planned batch without a commit is run again with exactly the same ranges,
 * so the first batch after a crash is the last batch before it. Entries are 0600 in folders
 * created 0700 (private-files.ts).
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, SidestreamError } from '../errors.js';
import { makePrivateDir } from '../private-files.js';
import type { OffsetRange } from '../topic-partition.js';
import { writeFileDurably } from './durable-file.js';

export interface PlannedBatch {
  readonly batchTime: number;
  /** Ranges per input stream name, e.g. `kafka:events`. */
  readonly ranges: Readonly<Record<string, readonly OffsetRange[]>>;
}

export interface OffsetLogState {
  /** The newest planned batch, if any. */
  readonly latest: PlannedBatch | undefined;
  /** Whether that batch's commit entry exists. */
  readonly latestCommitted: boolean;
  /**
   * Every batch planned after the newest committed one, oldest first. Batches are planned ahead
   * of processing (a batch that falls due while another runs is planned and queued), so a crash
   * can leave several; all of them are re-run, in order, with their logged ranges.
   */
  readonly pending: readonly PlannedBatch[];
  /** The newest committed batch, if any. */
  readonly lastCommitted: PlannedBatch | undefined;
}

const FORMAT = 1;

export class OffsetLog {
  private readonly offsetsDir: string;
  private readonly commitsDir: string;

  /** `retain`: how many newest entries of each kind survive cleanup (at least 2). */
  constructor(
    readonly dir: string,
    private readonly retain = 100,
  ) {
    this.offsetsDir = join(dir, 'offsets');
    this.commitsDir = join(dir, 'commits');
  }

  async init(): Promise<void> {
    try {
      await makePrivateDir(this.offsetsDir);
      await makePrivateDir(this.commitsDir);
    } catch (error) {
      throw new SidestreamError(
        'SS_CHECKPOINT_DIR_UNUSABLE',
        `cannot create the offset log under ${this.dir}: ${describeError(error)}; point --checkpoint-dir at a writable directory`,
        { cause: error },
      );
    }
  }

  async writePlanned(batch: PlannedBatch): Promise<void> {
    const body = JSON.stringify({ format: FORMAT, batchTime: batch.batchTime, ranges: batch.ranges });
    await writeFileDurably(join(this.offsetsDir, String(batch.batchTime)), body);
  }

  async writeCommit(batchTime: number): Promise<void> {
    await writeFileDurably(
      join(this.commitsDir, String(batchTime)),
      JSON.stringify({ format: FORMAT, batchTime }),
    );
  }

  async state(): Promise<OffsetLogState> {
    const planned = await this.times(this.offsetsDir);
    const commits = await this.times(this.commitsDir);
    const newestCommit = commits.at(-1);
    const newest = planned.at(-1);
    const pendingTimes = planned.filter((t) => newestCommit === undefined || t > newestCommit);
    const pending: PlannedBatch[] = [];
    for (const t of pendingTimes) pending.push(await this.readPlanned(t));
    const lastCommitted =
      newestCommit !== undefined && planned.includes(newestCommit)
        ? await this.readPlanned(newestCommit)
        : undefined;
    const latest =
      newest === undefined
        ? undefined
        : (pending.at(-1) ?? lastCommitted ?? (await this.readPlanned(newest)));
    return {
      latest,
      latestCommitted: newest !== undefined && newest === newestCommit,
      pending,
      lastCommitted,
    };
  }

  async readPlanned(batchTime: number): Promise<PlannedBatch> {
    const path = join(this.offsetsDir, String(batchTime));
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw corrupt(path, describeError(error));
    }
    const entry = parsed as { format?: unknown; batchTime?: unknown; ranges?: unknown };
    if (entry.format !== FORMAT)
      throw corrupt(path, `unknown format ${String(entry.format)} (this version reads ${FORMAT})`);
    if (entry.batchTime !== batchTime || typeof entry.ranges !== 'object' || entry.ranges === null) {
      throw corrupt(path, 'missing batchTime or ranges');
    }
    return { batchTime, ranges: entry.ranges as PlannedBatch['ranges'] };
  }

  /** Every planned batch still in the log, committed or not, oldest first (checkpoint recovery). */
  async allPlanned(): Promise<PlannedBatch[]> {
    const out: PlannedBatch[] = [];
    for (const t of await this.times(this.offsetsDir)) out.push(await this.readPlanned(t));
    return out;
  }

  /**
   * Removes all but the newest `retain` entries of each kind, and never an entry after
   * `keepAfterMs`: batches after the last metadata checkpoint are replayed from here on recovery.
   */
  async cleanup(keepAfterMs = Number.POSITIVE_INFINITY): Promise<void> {
    const keep = Math.max(2, this.retain);
    for (const dir of [this.offsetsDir, this.commitsDir]) {
      const times = await this.times(dir);
      for (const t of times.slice(0, Math.max(0, times.length - keep))) {
        if (t > keepAfterMs) break;
        await rm(join(dir, String(t)), { force: true });
      }
    }
  }

  private async times(dir: string): Promise<number[]> {
    const names = await readdir(dir);
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }
}

function corrupt(path: string, why: string): SidestreamError {
  return new SidestreamError(
    'SS_OFFSET_LOG_CORRUPT',
    `offset log entry ${path} is unreadable (${why}); restore it from a backup, or delete it to resume from the previous committed batch`,
  );
}
