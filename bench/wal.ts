/**
 * Write-ahead log: append throughput of FileWriteAheadLog against a raw `fs` append loop with the
 * same fsync policy on the same disk, and the time recovery takes after a kill -9.
 *
 * Append: for 100-byte and 10 KB records and each fsync policy, every round runs, back to back
 * and for the same wall time each:
 * - raw: one FileHandle in append mode, `write(record)` awaited in a loop; 'always' adds an
 *   fdatasync after every write, 'interval' runs an fdatasync every 100 ms beside the loop;
 * - WAL, sequential: `await log.write(record)` in a loop (the same one-at-a-time work as raw:
 *   the fair comparison);
 * - WAL, concurrent: 64 writers, so 'always' can group commit (no raw equivalent: a raw loop has
 *   no grouping unless one writes it).
 * Ratios are WAL / raw in the same round; the reported ratio is the median over rounds. The
 * order of the three rotates from round to round, and each starts after a `sync`.
 *
 * Recovery: a child process appends 10 KB records (fsync 'never', 16 in flight) until it has
 * written the target size, then is killed with SIGKILL while still writing; then
 * FileWriteAheadLog.open plus a full readAll are timed. The segments are in the page cache (just
 * written): this measures recovery's CPU and syscall cost, not a cold disk.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FileWriteAheadLog } from '../src/state/file-write-ahead-log.js';
import type { FsyncPolicy } from '../src/state/write-ahead-log.js';
import { median } from './stats.js';

export const WAL_POLICIES: readonly FsyncPolicy[] = [
  { mode: 'always' },
  { mode: 'interval', intervalMs: 100 },
  { mode: 'never' },
];

export interface WalBenchOptions {
  readonly recordSizes: readonly number[];
  readonly rounds: number;
  /** Wall time each variant appends for, per round. */
  readonly variantMs: number;
  readonly concurrency: number;
  /** Bytes the child writes before it is killed; 0 skips the recovery measurement. */
  readonly recoveryBytes: number;
  /** Parent of the temporary directories: the disk being measured. */
  readonly baseDir: string;
}

export interface Rate {
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
}

export interface WalAppendResult {
  readonly recordBytes: number;
  readonly policy: string;
  readonly raw: Rate;
  readonly walSequential: Rate;
  readonly walConcurrent: Rate;
  /** Median of per-round walSequential / raw. */
  readonly sequentialRatio: number;
  /** Every round's walSequential / raw, in round order. */
  readonly sequentialRatios: readonly number[];
  /** Median of per-round walConcurrent / raw. */
  readonly concurrentRatio: number;
  /**
   * CPU time per record (µs, median over rounds) of raw and of the sequential WAL: the WAL's own
   * cost, which a busy machine disturbs far less than wall-clock rates (a neighbour's disk
   * traffic makes fdatasync slow, not the CPU work).
   */
  readonly rawCpuUsPerRecord: number;
  readonly walSequentialCpuUsPerRecord: number;
  /** fdatasync calls per record of the concurrent WAL runs (group commit at work below 1). */
  readonly concurrentSyncsPerRecord: number;
}

export interface WalRecoveryResult {
  readonly bytes: number;
  readonly records: number;
  readonly segments: number;
  readonly truncations: number;
  readonly openSeconds: number;
  readonly readAllSeconds: number;
  readonly totalSeconds: number;
  readonly mbPerSec: number;
}

export interface WalBenchResult {
  readonly appends: readonly WalAppendResult[];
  readonly recovery: WalRecoveryResult | undefined;
}

const VARIANTS = ['raw', 'seq', 'conc'] as const;

const policyName = (p: FsyncPolicy) => (p.mode === 'interval' ? `interval ${p.intervalMs} ms` : p.mode);

interface Run {
  readonly records: number;
  readonly ms: number;
  readonly syncs: number;
  /** Main-thread CPU time (user + system) of the run, in microseconds. */
  readonly cpuUs: number;
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const rateOf = (runs: readonly Run[], bytes: number): Rate => {
  const perSec = median(runs.map((r) => (r.records / r.ms) * 1000));
  return { recordsPerSec: perSec, mbPerSec: (perSec * bytes) / 1e6 };
};

async function rawAppend(dir: string, record: Buffer, policy: FsyncPolicy, ms: number): Promise<Run> {
  const file = await open(join(dir, 'raw.log'), 'a');
  let syncs = 0;
  let syncing: Promise<void> | undefined;
  const timer =
    policy.mode === 'interval'
      ? setInterval(() => {
          syncing ??= file.datasync().then(() => {
            syncs++;
            syncing = undefined;
          });
        }, policy.intervalMs)
      : undefined;
  let records = 0;
  const started = performance.now();
  const cpuStart = cpuNow();
  const until = started + ms;
  try {
    while (performance.now() < until) {
      await file.write(record);
      if (policy.mode === 'always') {
        await file.datasync();
        syncs++;
      }
      records++;
    }
    return { records, ms: performance.now() - started, syncs, cpuUs: cpuNow() - cpuStart };
  } finally {
    if (timer) clearInterval(timer);
    await syncing;
    await file.close();
  }
}

async function walAppend(
  dir: string,
  record: Buffer,
  policy: FsyncPolicy,
  ms: number,
  concurrency: number,
): Promise<Run> {
  const log = await FileWriteAheadLog.open(join(dir, 'wal'), { fsync: policy, rollIntervalMs: 60_000 });
  let records = 0;
  const started = performance.now();
  const cpuStart = cpuNow();
  const until = started + ms;
  const syncsBefore = log.syncs;
  const writer = async () => {
    while (performance.now() < until) {
      await log.write(record, 0);
      records++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
  const elapsed = performance.now() - started;
  const cpuUs = cpuNow() - cpuStart;
  const syncs = log.syncs - syncsBefore;
  await log.close();
  return { records, ms: elapsed, syncs, cpuUs };
}

export async function measureWal(
  options: WalBenchOptions,
  print: (line: string) => void,
): Promise<WalBenchResult> {
  const appends: WalAppendResult[] = [];
  for (const bytes of options.recordSizes) {
    const record = Buffer.alloc(bytes, 0x61);
    for (const policy of WAL_POLICIES) {
      const raw: Run[] = [];
      const seq: Run[] = [];
      const conc: Run[] = [];
      // Round 0 is a warm-up (JIT, file creation paths), thrown away.
      for (let round = 0; round <= options.rounds; round++) {
        const results: Partial<Record<(typeof VARIANTS)[number], Run>> = {};
        // The order rotates each round, and every variant starts with no dirty pages left by the
        // one before (`sync`): otherwise whoever runs later pays the kernel's writeback throttling
        // for the others' data.
        for (let k = 0; k < VARIANTS.length; k++) {
          const variant = VARIANTS[(round + k) % VARIANTS.length]!;
          execFileSync('sync');
          const dir = await mkdtemp(join(options.baseDir, 'ss-bench-wal-'));
          try {
            results[variant] =
              variant === 'raw'
                ? await rawAppend(dir, record, policy, options.variantMs)
                : await walAppend(
                    dir,
                    record,
                    policy,
                    options.variantMs,
                    variant === 'seq' ? 1 : options.concurrency,
                  );
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        }
        if (round === 0) continue;
        raw.push(results.raw!);
        seq.push(results.seq!);
        conc.push(results.conc!);
      }
      const ratios = (a: Run[]) => a.map((r, i) => r.records / r.ms / (raw[i]!.records / raw[i]!.ms));
      const ratio = (a: Run[]) => median(ratios(a));
      const result: WalAppendResult = {
        recordBytes: bytes,
        policy: policyName(policy),
        raw: rateOf(raw, bytes),
        walSequential: rateOf(seq, bytes),
        walConcurrent: rateOf(conc, bytes),
        sequentialRatio: ratio(seq),
        sequentialRatios: ratios(seq),
        concurrentRatio: ratio(conc),
        rawCpuUsPerRecord: median(raw.map((r) => r.cpuUs / r.records)),
        walSequentialCpuUsPerRecord: median(seq.map((r) => r.cpuUs / r.records)),
        concurrentSyncsPerRecord:
          conc.reduce((a, r) => a + r.syncs, 0) /
          Math.max(
            1,
            conc.reduce((a, r) => a + r.records, 0),
          ),
      };
      appends.push(result);
      print(
        `  ${bytes} B, ${result.policy}: raw ${fmtRate(result.raw)}, WAL sequential ${fmtRate(result.walSequential)} ` +
          `(${result.sequentialRatio.toFixed(2)}: ${result.sequentialRatios.map((r) => r.toFixed(2)).join(' ')}), WAL x${options.concurrency} ${fmtRate(result.walConcurrent)} ` +
          `(${result.concurrentRatio.toFixed(2)}, ${result.concurrentSyncsPerRecord.toFixed(3)} syncs/record); ` +
          `CPU/record raw ${result.rawCpuUsPerRecord.toFixed(1)} µs, WAL ${result.walSequentialCpuUsPerRecord.toFixed(1)} µs`,
      );
    }
  }
  const recovery = options.recoveryBytes > 0 ? await measureRecovery(options, print) : undefined;
  return { appends, recovery };
}

export const fmtRate = (r: Rate) =>
  `${r.mbPerSec.toFixed(1)} MB/s, ${Math.round(r.recordsPerSec).toLocaleString('en-US')} rec/s`;

async function measureRecovery(
  options: WalBenchOptions,
  print: (line: string) => void,
): Promise<WalRecoveryResult> {
  const dir = await mkdtemp(join(options.baseDir, 'ss-bench-wal-recovery-'));
  try {
    print(
      `  recovery: a child writes ${(options.recoveryBytes / 1e6).toFixed(0)} MB of 10 KB records, then kill -9 ...`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', dir, String(options.recoveryBytes)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await waitForLine(child, 'ready');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const started = performance.now();
    const log = await FileWriteAheadLog.open(dir);
    const opened = performance.now();
    let records = 0;
    let bytes = 0;
    const segments = new Set<string>();
    for await (const r of log.readAll()) {
      records++;
      bytes += r.data.length;
      segments.add(r.ref.segment);
    }
    const done = performance.now();
    const truncations = log.truncations.length;
    await log.close();
    const totalSeconds = (done - started) / 1000;
    const result: WalRecoveryResult = {
      bytes,
      records,
      segments: segments.size,
      truncations,
      openSeconds: (opened - started) / 1000,
      readAllSeconds: (done - opened) / 1000,
      totalSeconds,
      mbPerSec: bytes / 1e6 / totalSeconds,
    };
    print(
      `  recovered ${records.toLocaleString('en-US')} records (${(bytes / 1e6).toFixed(0)} MB, ${segments.size} segments, ` +
        `${truncations} truncation(s)): open ${result.openSeconds.toFixed(2)} s + readAll ${result.readAllSeconds.toFixed(2)} s ` +
        `= ${totalSeconds.toFixed(2)} s, ${result.mbPerSec.toFixed(0)} MB/s`,
    );
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function waitForLine(child: ChildProcess, expected: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.trim() === expected) {
        lines.close();
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`recovery writer exited early (code ${code})`)));
  });
}

/**
 * The child of the recovery measurement: appends 10 KB records (times advancing 1 ms per record,
 * so segments roll every 60,000 records, about 600 MB) until `bytes` are written, says `ready`,
 * and keeps appending until it is killed, so the kill tears a write.
 */
async function childWriter(dir: string, bytes: number): Promise<void> {
  const log = await FileWriteAheadLog.open(dir, { fsync: { mode: 'never' } });
  const record = Buffer.alloc(10_000, 0x62);
  let written = 0;
  let time = 0;
  let announced = false;
  const writer = async () => {
    for (;;) {
      await log.write(record, time++);
      written += record.length;
      if (!announced && written >= bytes) {
        announced = true;
        process.stdout.write('ready\n');
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
}

if (process.argv[2] === '--child') {
  await childWriter(process.argv[3]!, Number(process.argv[4]));
}

export function defaultWalBaseDir(): string {
  return process.env.SS_BENCH_WAL_DIR ?? tmpdir();
}
