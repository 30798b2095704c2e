/**
 * Against the peers: the same word count over the same Kafka topic by five engines, each in its
 * own process, in interleaved rounds (docs/benchmarks.md keeps the results).
 *
 * The topic (6 partitions) is filled once per run and codec with N ~100-byte records of
 * space-separated words from a fixed 1,000-word vocabulary (bench/peers/word-corpus.ts), its
 * record batches compressed with that codec (`--peer-codec`, bench/peers/peer-codecs.ts; none by
 * default). Every engine reads every codec, the plain kafkajs loop with the codec packages a
 * kafkajs user adds. Each engine then reads all of it from the earliest offset under a fresh
 * consumer group, splits on spaces, counts per word, and prints its totals once it has counted N
 * records; the totals must equal the corpus's (words and letters), or the run posts no figure.
 * The engines:
 * - sidestream, the agent (`sidestream run bench/peers/sidestream-word-count-job.ts`,
 *   kafkaDirectStream, flatMap, map, reduceByKey, foreachRDD; 1 s batches), executors at their
 *   default (one per core), and with `--executors 0`;
 * - Spark Streaming (bench/peers/spark/.../SparkWordCount.java: DStreams over the direct Kafka
 *   stream, local[2], 1 s batches, the same operators), built with Maven on first use;
 * - a plain kafkajs `eachBatch` loop (bench/peers/kafkajs-word-count.ts);
 * - a plain Java KafkaConsumer loop (bench/peers/spark/.../JavaConsumerWordCount.java).
 *
 * Per run: records/s from the first records in hand to the last counted (each engine reports the
 * two instants itself, so process start-up, JVM warm-up before the first records and group
 * joins are left out), CPU per record over that interval (utime + stime of the whole process, all
 * threads, from /proc: bench/peers/proc-sampler.ts), the process's peak RSS (VmHWM, whole life)
 * and the peak used heap the engine sampled (the main thread's for Node, the JVM's). Linux only.
 * Needs `npm run build` (the agent runs from dist/), Java 17+ and Maven, and the broker of
 * `scripts/services.sh up`.
 *
 *   npm run bench -- --only peers                                   # 2M records, 3 rounds
 *   npm run bench -- --only peers --peer-records 200000 --peer-rounds 1
 *   npm run bench -- --only peers --peer-codec none,lz4,zstd          # each codec on its own topic
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { deleteTopic, KAFKA_BROKERS, uniqueName } from './kafka-common.js';
import { ensureJvmBuild, type JvmBuild, javaArgs } from './peers/jvm-build.js';
import type { PeerCodec } from './peers/peer-codecs.js';
import { startPeerProcess } from './peers/peer-process.js';
import { PEER_FAILED, type PeerDone, parsePeerBatch, parsePeerDone } from './peers/peer-report.js';
import {
  type PeerEngineSummary,
  type PeerRunOutcome,
  roundOrder,
  summarizePeers,
} from './peers/peer-summary.js';
import { producePeerTopic } from './peers/peer-topic.js';
import { brokerVersion, kafkajsVersion } from './peers/peer-versions.js';
import { expectedTotals, type WordTotals, wordCorpus } from './peers/word-corpus.js';
import { measureWordCountFloor, type WordCountFloor } from './peers/word-count-floor.js';

export interface PeersOptions {
  readonly records: number;
  readonly rounds: number;
  readonly partitions: number;
  readonly compression: PeerCodec;
}

/** The engines, in the order of the first round; the baselines of the ratios are among them. */
export const PEER_ENGINES = [
  'sidestream',
  'sidestream --executors 0',
  'Spark Streaming',
  'plain kafkajs',
  'plain Java',
] as const;
export type PeerEngine = (typeof PEER_ENGINES)[number];
export const PEER_BASELINES: readonly PeerEngine[] = ['Spark Streaming', 'plain Java', 'plain kafkajs'];
/** The engines with batches (they report each one); the plain loops have none. */
const STREAMING: ReadonlySet<PeerEngine> = new Set([
  'sidestream',
  'sidestream --executors 0',
  'Spark Streaming',
]);

/** One engine's run in one round, with the raw figures behind the outcome. */
export interface PeerRun {
  readonly engine: PeerEngine;
  readonly round: number;
  readonly outcome: PeerRunOutcome;
  /** Present when the engine reported: first records to last counted, ms, and CPU over it. */
  readonly ms?: number;
  readonly cpuMs?: number;
  /** Streaming engines: the batches that held records. */
  readonly batches?: number;
}

export interface PeersResult {
  readonly topic: string;
  readonly records: number;
  readonly partitions: number;
  readonly compression: PeerCodec;
  readonly expected: WordTotals;
  /** The word count's own work without Kafka or an engine (bench/peers/word-count-floor.ts). */
  readonly floor: WordCountFloor;
  readonly produceMs: number;
  readonly runs: readonly PeerRun[];
  readonly summary: readonly PeerEngineSummary[];
  readonly versions: {
    readonly node: string;
    readonly java: string;
    readonly spark: string;
    readonly kafkaClients: string;
    readonly kafkajs: string;
    readonly broker: string;
  };
}

const CLI = fileURLToPath(new URL('../dist/agent/cli.js', import.meta.url));
const SIDESTREAM_JOB = fileURLToPath(new URL('./peers/sidestream-word-count-job.ts', import.meta.url));
const KAFKAJS_SCRIPT = fileURLToPath(new URL('./peers/kafkajs-word-count.ts', import.meta.url));

export function peerCommand(engine: PeerEngine, jvm: JvmBuild): { command: string; args: string[] } {
  const agent = [CLI, 'run', SIDESTREAM_JOB, '--app', 'bench-peers', '--batch-interval', '1000ms'];
  // The agent's HTTP listener on a free port: several runs, or another agent, never collide.
  const http = ['--http', '127.0.0.1:0'];
  switch (engine) {
    case 'sidestream':
      return { command: process.execPath, args: [...agent, ...http] };
    case 'sidestream --executors 0':
      return { command: process.execPath, args: [...agent, ...http, '--executors', '0'] };
    case 'Spark Streaming':
      return { command: 'java', args: javaArgs(jvm, 'sidestream.bench.SparkWordCount') };
    case 'plain kafkajs':
      return { command: process.execPath, args: ['--import', 'tsx', KAFKAJS_SCRIPT] };
    case 'plain Java':
      return { command: 'java', args: javaArgs(jvm, 'sidestream.bench.JavaConsumerWordCount') };
  }
}

/** The PEER_* environment of one engine run (bench/peers/peer-report.ts). */
export function peerEnvironment(
  topic: string,
  records: number,
  start: 'earliest' | 'latest',
): Record<string, string> {
  return {
    PEER_TOPIC: topic,
    PEER_GROUP: uniqueName('sidestream-bench-peers'),
    PEER_BROKERS: KAFKA_BROKERS.join(','),
    PEER_RECORDS: String(records),
    PEER_START: start,
  };
}

async function runEngine(
  engine: PeerEngine,
  round: number,
  topic: string,
  expected: WordTotals,
  jvm: JvmBuild,
): Promise<PeerRun> {
  const { command, args } = peerCommand(engine, jvm);
  const peer = startPeerProcess(command, args, peerEnvironment(topic, expected.records, 'earliest'));
  const sampler = peer.sampler;
  if (sampler === undefined) {
    await peer.exited;
    return { engine, round, outcome: { ok: false, error: `${command} did not start: ${peer.stderr()}` } };
  }
  // Generous: the slowest engine seen reads ~20k records/s on 2 busy cores; start-up aside.
  const timeoutMs = 120_000 + expected.records / 10;
  let batches = 0;
  try {
    const report = await new Promise<PeerDone>((resolve, reject) => {
      peer.onLine((line) => {
        if (line.startsWith(PEER_FAILED)) reject(new Error(line));
        try {
          if ((parsePeerBatch(line)?.records ?? 0) > 0) batches++;
          const done = parsePeerDone(line);
          if (done) resolve(done);
        } catch (error) {
          reject(error);
        }
      });
      void peer.exited.then(() =>
        reject(
          new Error(
            `exited (${peer.child.exitCode ?? peer.child.signalCode}) before counting every record: ${peer.stderr()}`,
          ),
        ),
      );
      setTimeout(
        () => reject(new Error(`no report within ${timeoutMs / 1000} s: ${peer.stderr()}`)),
        timeoutMs,
      ).unref();
    });
    // One more sample after the last instant, so the interpolation does not clamp to an earlier one.
    await sleep(150);
    sampler.sample();
    const ms = report.lastMs - report.firstMs;
    const cpuMs = sampler.cpuMsAt(report.lastMs) - sampler.cpuMsAt(report.firstMs);
    const figures = { ms, cpuMs, ...(STREAMING.has(engine) ? { batches } : {}) };
    const wrong = (['records', 'words', 'letters'] as const).filter((k) => report[k] !== expected[k]);
    if (wrong.length > 0) {
      const what = wrong.map((k) => `${k} ${report[k]} (expected ${expected[k]})`).join(', ');
      return { engine, round, ...figures, outcome: { ok: false, error: `wrong count: ${what}` } };
    }
    if (!(ms > 0)) return { engine, round, outcome: { ok: false, error: `no measured interval (${ms} ms)` } };
    return {
      engine,
      round,
      ...figures,
      outcome: {
        ok: true,
        rate: expected.records / (ms / 1000),
        cpuUsPerRecord: (cpuMs * 1000) / expected.records,
        peakRssBytes: sampler.peakRssBytes,
        peakHeapBytes: report.peakHeapBytes,
      },
    };
  } catch (error) {
    return {
      engine,
      round,
      outcome: { ok: false, error: error instanceof Error ? error.message : String(error) },
    };
  } finally {
    await peer.end();
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

export function describePeerRun(run: PeerRun): string {
  const o = run.outcome;
  if (!o.ok) return `${run.engine}: FAILED: ${o.error.split('\n')[0]?.slice(0, 300)}`;
  const cores = run.cpuMs !== undefined && run.ms ? run.cpuMs / run.ms : Number.NaN;
  return (
    `${run.engine}: ${(o.rate / 1000).toFixed(1)}k rec/s in ${((run.ms ?? 0) / 1000).toFixed(2)} s, ` +
    `${o.cpuUsPerRecord.toFixed(2)} µs CPU/record (${cores.toFixed(2)} cores), ` +
    `peak RSS ${mb(o.peakRssBytes)}, peak heap ${mb(o.peakHeapBytes)}` +
    (run.batches === undefined ? '' : `, ${run.batches} batch(es) with records`)
  );
}

export async function measurePeers(
  options: PeersOptions,
  progress: (line: string) => void = () => {},
): Promise<PeersResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const jvm = await ensureJvmBuild(progress);
  const corpus = wordCorpus();
  const expected = expectedTotals(corpus, options.records);
  const { topic, produceMs } = await producePeerTopic(corpus, options);
  try {
    progress(
      `  produced ${options.records.toLocaleString('en-US')} records (${(expected.bytes / options.records).toFixed(1)} bytes, ` +
        `${(expected.words / options.records).toFixed(1)} words each on average; ${options.compression} codec) ` +
        `to ${options.partitions} partitions in ${(produceMs / 1000).toFixed(1)} s`,
    );
    const runs: PeerRun[] = [];
    const rounds: Record<string, PeerRunOutcome>[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const outcomes: Record<string, PeerRunOutcome> = {};
      progress(`  round ${round + 1}:`);
      for (const engine of roundOrder(PEER_ENGINES, round)) {
        const run = await runEngine(engine, round + 1, topic, expected, jvm);
        runs.push(run);
        outcomes[engine] = run.outcome;
        progress(`    ${describePeerRun(run)}`);
        // A pause between runs: the broker is done with the last group before the next one joins.
        await sleep(1000);
      }
      rounds.push(outcomes);
    }
    const floor = measureWordCountFloor(corpus, options.records);
    progress(
      `  floor: the same word count in a plain loop on the records' bytes, no Kafka, no engine: ` +
        `${floor.cpuUsPerRecord.toFixed(2)} µs CPU/record`,
    );
    return {
      topic,
      records: options.records,
      partitions: options.partitions,
      compression: options.compression,
      floor,
      expected,
      produceMs,
      runs,
      summary: summarizePeers(PEER_ENGINES, rounds, PEER_BASELINES),
      versions: {
        node: process.version,
        java: jvm.java,
        spark: jvm.spark,
        kafkaClients: jvm.kafkaClients,
        kafkajs: kafkajsVersion(),
        broker: brokerVersion(),
      },
    };
  } finally {
    await deleteTopic(topic);
  }
}
