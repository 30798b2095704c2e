/**
 * Receiver recovery time: a child process stores `bytes` of 10 KB records as receiver blocks
 * (write-ahead log + block tracker journal, exactly as a receiver stream does), is killed with
 * SIGKILL while holding the logs open, and then a fresh StreamingContext on the same checkpoint
 * directory is timed from start() to its first completed batch, which holds every recovered
 * record (they were stored but never allocated).
 *
 *   tsx bench/receiver-recovery.ts [bytes]      # standalone; `npm run bench -- --only recovery`
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Receiver, StreamingContext } from '../src/index.js';
import { BLOCK_JOURNAL_OPTIONS, ReceivedBlockTracker } from '../src/receiver/received-block-tracker.js';
import { WalBlockHandler } from '../src/receiver/wal-block-handler.js';
import { FileWriteAheadLog } from '../src/state/file-write-ahead-log.js';
import { SystemClock } from '../src/time.js';

const RECORD_BYTES = 10 * 1024;
const RECORDS_PER_BLOCK = 100;

export interface ReceiverRecoveryResult {
  readonly walBytes: number;
  readonly records: number;
  /** From start() to the first completed batch (the one holding every recovered record). */
  readonly startToFirstBatchMs: number;
  readonly recoveredMBps: number;
}

/** The child: writes the blocks, says so, and waits to be killed. */
async function writeBlocks(dir: string, bytes: number): Promise<void> {
  const base = join(dir, 'receivers', 'stream-0');
  const clock = new SystemClock();
  // fsync 'never' while filling: the bench is about reading back; a kill -9 keeps page-cached writes.
  const handler = new WalBlockHandler<Buffer>(
    await FileWriteAheadLog.open(join(base, 'data'), { fsync: { mode: 'never' } }),
    0,
  );
  const tracker = await ReceivedBlockTracker.recover(
    await FileWriteAheadLog.open(join(base, 'journal'), {
      fsync: { mode: 'never' },
      ...BLOCK_JOURNAL_OPTIONS,
    }),
    clock,
  );
  const blocks = Math.ceil(bytes / (RECORD_BYTES * RECORDS_PER_BLOCK));
  const records = Array.from({ length: RECORDS_PER_BLOCK }, (_, i) => Buffer.alloc(RECORD_BYTES, i));
  for (let b = 0; b < blocks; b++) {
    const id = `0-bench-${b}`;
    const now = clock.now();
    const stored = await handler.store(id, records, now);
    handler.forget(id);
    await tracker.addBlock({
      id,
      streamId: 0,
      numRecords: records.length,
      bytes: stored.bytes,
      timeMs: now,
      ...(stored.ref ? { ref: stored.ref } : {}),
    });
  }
  process.stdout.write(`written ${blocks * RECORDS_PER_BLOCK}\n`);
  await new Promise(() => {}); // held open until SIGKILL
}

class IdleReceiver extends Receiver<Buffer> {
  onStart(): void {}
  onStop(): void {}
}

export async function measureReceiverRecovery(bytes: number): Promise<ReceiverRecoveryResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ss-bench-recovery-'));
  try {
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, String(bytes)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const written = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d) => {
        out += d;
        const m = /written (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const ssc = new StreamingContext({
      appName: 'bench-recovery',
      batchIntervalMs: 100, // the first batch falls due within 100 ms of start()
      checkpointDir: dir,
      defaultParallelism: 1,
      tracing: false,
      output: () => {},
    });
    let recovered = 0;
    let firstBatchAt = 0;
    ssc.receiverStream(new IdleReceiver()).foreachRDD(async (rdd) => {
      recovered += await rdd.count();
    });
    const done = new Promise<void>((resolve) =>
      ssc.addStreamingListener({
        onBatchCompleted: () => {
          if (firstBatchAt === 0) firstBatchAt = performance.now();
          resolve();
        },
      }),
    );
    const t0 = performance.now();
    await ssc.start();
    await done;
    await ssc.stop();
    if (recovered !== written) throw new Error(`recovered ${recovered} of ${written} records`);
    const walBytes = written * RECORD_BYTES;
    const ms = firstBatchAt - t0;
    return {
      walBytes,
      records: written,
      startToFirstBatchMs: ms,
      recoveredMBps: walBytes / 1e6 / (ms / 1000),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') {
  await writeBlocks(argv[1]!, Number(argv[2]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const bytes = Number(argv[0] ?? 1024 ** 3);
  console.log(JSON.stringify(await measureReceiverRecovery(bytes)));
}
