/**
 * CheckpointStore: the metadata checkpoints of module 4 (Spark's CheckpointWriter and
 * CheckpointReader). One file per checkpointed batch, `<checkpointDir>/checkpoints/checkpoint-<batchTime>`,
 * written durably (temp file, fsync, rename, directory fsync) so a `kill -9` leaves either the
 * previous set of files or the new one. The newest `retain` files are kept; reading takes the
 * newest file that parses and verifies and reports every newer one it had to skip, so a torn or
 * damaged newest file costs a few re-run batches, not the job. Files are 0600 and the folder is
 * created 0700 (private-files.ts): they hold the job's state.
 *
 * File layout (all integers big-endian):
 *   magic 'SSCK' (4) | format version u16 | reserved u16 | payload length u32 | sha256(payload) (32) | payload
 * The payload is `node:v8` serialize() of a CheckpointData: Maps, Sets, Dates, typed arrays and
 * nested plain objects survive; functions and class prototypes do not, which is why state values
 * kept by updateStateByKey / mapWithState must be structured-cloneable.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { describeError, SidestreamError } from '../errors.js';
import { makePrivateDir } from '../private-files.js';
import { writeFileDurably } from './durable-file.js';

/** Version of the file framing and of the CheckpointData shape; bump on any incompatible change. */
export const CHECKPOINT_FORMAT_VERSION = 1;
export const DEFAULT_CHECKPOINTS_RETAINED = 10;

const MAGIC = Buffer.from('SSCK', 'ascii');
const HEADER_BYTES = 4 + 2 + 2 + 4 + 32;
const FILE_NAME = /^checkpoint-(\d+)$/;

/** Which job wrote the checkpoint: the agent passes the module path and its content hash. */
export interface JobIdentity {
  readonly path: string;
  /** Hex sha256 of the module file's content. */
  readonly sha256: string;
}

/** The remembered RDDs of one stream at checkpoint time: fully computed, one array per partition. */
export interface StreamCheckpoint {
  /** Stable identity: `<creation index in the graph>:<operator name>`, e.g. `3:updateStateByKey`. */
  readonly key: string;
  readonly rdds: readonly { readonly timeMs: number; readonly partitions: readonly (readonly unknown[])[] }[];
}

/** What a checkpoint holds (Spark's Checkpoint class, adapted). */
export interface CheckpointData {
  readonly formatVersion: number;
  readonly appName: string;
  readonly batchIntervalMs: number;
  readonly checkpointIntervalMs: number;
  readonly defaultParallelism: number;
  readonly job?: JobIdentity;
  /** The agent's resolved configuration (for the record and for diagnosis); never read back. */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly zeroTimeMs: number;
  /** The completed batch this checkpoint describes. */
  readonly batchTimeMs: number;
  /** Batches generated but not completed when it was taken: generated again on recovery. */
  readonly pendingTimesMs: readonly number[];
  /** When it was written (clock time), for the log line and status. */
  readonly writtenAtMs: number;
  readonly streams: readonly StreamCheckpoint[];
}

export interface SkippedCheckpoint {
  readonly file: string;
  readonly reason: string;
}

export interface ReadCheckpoint {
  readonly data: CheckpointData;
  readonly file: string;
  /** Newer files that could not be used, newest first, each with why. */
  readonly skipped: readonly SkippedCheckpoint[];
}

export class CheckpointStore {
  readonly dir: string;

  /** `checkpointDir` is the context's; the files live in its `checkpoints/` subfolder. */
  constructor(
    readonly checkpointDir: string,
    private readonly retain = DEFAULT_CHECKPOINTS_RETAINED,
  ) {
    if (!Number.isInteger(retain) || retain < 1) {
      throw new SidestreamError('SS_CONFIG_INVALID', `checkpoints to retain must be >= 1 (got ${retain})`);
    }
    this.dir = join(checkpointDir, 'checkpoints');
  }

  /** Frames and writes one checkpoint durably, then removes all but the newest `retain`. */
  async write(data: CheckpointData): Promise<{ file: string; bytes: number }> {
    const file = join(this.dir, `checkpoint-${data.batchTimeMs}`);
    let bytes: number;
    try {
      const framed = encodeCheckpoint(data);
      bytes = framed.length;
      await makePrivateDir(this.dir);
      await writeFileDurably(file, framed);
    } catch (error) {
      throw writeFailed(this.dir, data.batchTimeMs, error);
    }
    // Old files going is housekeeping: failing to delete one never fails the checkpoint.
    try {
      const times = await this.times();
      for (const t of times.slice(0, Math.max(0, times.length - this.retain)))
        await rm(join(this.dir, `checkpoint-${t}`), { force: true });
    } catch {
      // Left for the next checkpoint's cleanup.
    }
    return { file, bytes };
  }

  /**
   * The newest checkpoint that parses and verifies, with the newer ones skipped and why; undefined
   * when the directory holds none. Throws SS_CHECKPOINT_CORRUPT when files exist but none is usable.
   */
  async read(): Promise<ReadCheckpoint | undefined> {
    let times: number[];
    try {
      times = await this.times();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SidestreamError(
        'SS_CHECKPOINT_DIR_UNUSABLE',
        `cannot list checkpoints in ${this.dir}: ${describeError(error)}; check the directory's permissions`,
        { cause: error },
      );
    }
    const skipped: SkippedCheckpoint[] = [];
    for (const t of times.reverse()) {
      const file = join(this.dir, `checkpoint-${t}`);
      try {
        const data = decodeCheckpoint(await readFile(file));
        if (data.batchTimeMs !== t) throw new Error(`holds batch ${data.batchTimeMs}, not ${t}`);
        return { data, file, skipped };
      } catch (error) {
        skipped.push({ file, reason: describeError(error) });
      }
    }
    if (skipped.length === 0) return undefined;
    throw new SidestreamError(
      'SS_CHECKPOINT_CORRUPT',
      `no checkpoint in ${this.dir} is usable: ${skipped.map((s) => `${s.file}: ${s.reason}`).join('; ')}; ` +
        'restore the directory from a backup, or move it away to start from scratch (state is lost)',
    );
  }

  /** Batch times of the checkpoint files present, oldest first. */
  async times(): Promise<number[]> {
    const names = await readdir(this.dir);
    return names
      .map((n) => FILE_NAME.exec(n)?.[1])
      .filter((t): t is string => t !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }
}

export function encodeCheckpoint(data: CheckpointData): Buffer {
  const payload = serialize(data);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(CHECKPOINT_FORMAT_VERSION, 4);
  header.writeUInt16BE(0, 6);
  header.writeUInt32BE(payload.length, 8);
  createHash('sha256').update(payload).digest().copy(header, 12);
  return Buffer.concat([header, payload]);
}

/** Verifies framing, version, length and checksum, then deserializes; throws an Error saying why. */
export function decodeCheckpoint(buf: Buffer): CheckpointData {
  if (buf.length === 0) throw new Error('empty file');
  if (buf.length < HEADER_BYTES) throw new Error(`truncated header (${buf.length} bytes)`);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new Error('not a sidestream checkpoint (bad magic)');
  const version = buf.readUInt16BE(4);
  if (version !== CHECKPOINT_FORMAT_VERSION)
    throw new Error(`unknown format version ${version} (this version reads ${CHECKPOINT_FORMAT_VERSION})`);
  const length = buf.readUInt32BE(8);
  if (buf.length !== HEADER_BYTES + length)
    throw new Error(
      `length mismatch: header says ${length} payload bytes, file has ${buf.length - HEADER_BYTES}`,
    );
  const payload = buf.subarray(HEADER_BYTES);
  const sum = createHash('sha256').update(payload).digest();
  if (!sum.equals(buf.subarray(12, HEADER_BYTES))) throw new Error('checksum mismatch');
  const data = deserialize(payload) as CheckpointData;
  if (data?.formatVersion !== CHECKPOINT_FORMAT_VERSION || !Array.isArray(data.streams))
    throw new Error('payload is not a checkpoint of this format');
  return data;
}

const WRITE_HINTS: Record<string, string> = {
  ENOSPC: 'the disk is full: free space or move --checkpoint-dir to a larger volume',
  EDQUOT: 'the disk quota is exhausted: raise it or move --checkpoint-dir',
  EROFS: 'the file system is read-only: remount it read-write or move --checkpoint-dir',
  EACCES: "permission denied: give the agent's user write access or move --checkpoint-dir",
  EPERM: "permission denied: give the agent's user write access or move --checkpoint-dir",
};

function writeFailed(dir: string, batchTimeMs: number, error: unknown): SidestreamError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    (code && WRITE_HINTS[code]) ??
    'make sure the directory exists, is writable and has free space, or move --checkpoint-dir';
  return new SidestreamError(
    'SS_CHECKPOINT_WRITE_FAILED',
    `cannot write the checkpoint of batch ${batchTimeMs} in ${dir} (${describeError(error)}); ${hint}. ` +
      'The context stops: nothing after the last durable checkpoint was acknowledged',
    { cause: error },
  );
}
