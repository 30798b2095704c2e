/**
 * What the Node engines of the peer benchmarks (bench/peers.ts, bench/peers-steady.ts) print, in
 * the format of the JVM ones (bench/peers/spark/src/main/java/sidestream/bench/PeerReport.java),
 * and how the benchmarks read it: a `peer-batch {json}` line per completed batch (streaming
 * engines), one `peer-done {json}` line once every record is counted, with the main thread's
 * peak heap sampled every 100 ms, or a `peer-failed` line when the count cannot be right.
 */

export interface PeerDone {
  readonly records: number;
  readonly words: number;
  readonly letters: number;
  /** Epoch ms: the first records in hand, and the last record counted. */
  readonly firstMs: number;
  readonly lastMs: number;
  /** Peak used heap of the main thread (Node) or of the JVM, sampled every 100 ms; bytes. */
  readonly peakHeapBytes: number;
}

const PREFIX = 'peer-done ';
const BATCH = 'peer-batch ';

/** One completed batch of a streaming engine, as it reports it (the steady phase reads these). */
export interface PeerBatch {
  /** Epoch ms. */
  readonly batchTime: number;
  readonly records: number;
  readonly schedulingDelayMs: number;
  readonly totalDelayMs: number;
}

export function parsePeerBatch(line: string): PeerBatch | undefined {
  if (!line.startsWith(BATCH)) return undefined;
  const v = JSON.parse(line.slice(BATCH.length)) as Record<string, unknown>;
  for (const f of ['batchTime', 'records', 'schedulingDelayMs', 'totalDelayMs'] as const) {
    if (typeof v[f] !== 'number') throw new Error(`peer-batch without a number for '${f}': ${line}`);
  }
  return v as unknown as PeerBatch;
}

/** A line an engine prints when it knows its count is wrong (a failed batch): the run is void. */
export const PEER_FAILED = 'peer-failed ';

export function parsePeerDone(line: string): PeerDone | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  const v = JSON.parse(line.slice(PREFIX.length)) as Record<string, unknown>;
  const fields = ['records', 'words', 'letters', 'firstMs', 'lastMs', 'peakHeapBytes'] as const;
  for (const f of fields) {
    if (typeof v[f] !== 'number') throw new Error(`peer-done without a number for '${f}': ${line}`);
  }
  return v as unknown as PeerDone;
}

/**
 * The environment every engine reads: where, what, how many records to wait for (0: never done,
 * the steady phase ends the engine), and where to start ('earliest' or 'latest').
 */
export function peerEnv(
  name: 'PEER_TOPIC' | 'PEER_GROUP' | 'PEER_BROKERS' | 'PEER_RECORDS' | 'PEER_START',
): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

/** Starts the heap sampler; `done` prints the line (once) and the process then idles until ended. */
export function peerReporter(): {
  done(totals: Omit<PeerDone, 'peakHeapBytes'>): void;
  batch(batch: PeerBatch): void;
  failed(why: string): void;
} {
  let peakHeapBytes = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  }, 100);
  sampler.unref();
  let reported = false;
  return {
    done(totals) {
      if (reported) return;
      reported = true;
      peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
      process.stdout.write(`${PREFIX}${JSON.stringify({ ...totals, peakHeapBytes })}\n`);
    },
    batch(batch) {
      process.stdout.write(`${BATCH}${JSON.stringify(batch)}\n`);
    },
    failed(why) {
      process.stdout.write(`${PEER_FAILED}${why}\n`);
    },
  };
}
