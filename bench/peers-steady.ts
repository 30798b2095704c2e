/**
 * The peer benchmark's steady phase (bench/peers.ts is the catch-up): a producer
 * (bench/peers/rate-producer.ts) sends the word corpus at a fixed rate (100k records/s by
 * default) for a fixed time (60 s) into a fresh 6-partition topic while one streaming engine
 * (sidestream with its default executors, or Spark Streaming local[2]) counts words from the
 * latest offset in 1 s batches. Each engine reports every batch it completes
 * (bench/peers/peer-report.ts); over the batches of the measured window (after a 10 s warm-up,
 * until the producer stops) the total delay per batch (batch time to the end of its outputs) is
 * reported as p50 / p99 / max. The engine kept up when, 15 s after the producer stopped, its
 * batches hold every record sent, and the batches of the window's last 10 s waited less than one
 * interval to start (no queue building up).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createTopic, deleteTopic, uniqueName } from './kafka-common.js';
import { ensureJvmBuild, type JvmBuild } from './peers/jvm-build.js';
import type { PeerCodec } from './peers/peer-codecs.js';
import { startPeerProcess } from './peers/peer-process.js';
import { type PeerBatch, parsePeerBatch } from './peers/peer-report.js';
import { runRateProducer } from './peers/rate-producer.js';
import { wordCorpus } from './peers/word-corpus.js';
import { type PeerEngine, peerCommand, peerEnvironment } from './peers.js';
import { max, type Spread, spread } from './stats.js';

export interface SteadyOptions {
  readonly ratePerSec: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly partitions: number;
  readonly compression: PeerCodec;
  readonly engines: readonly PeerEngine[];
}

const BATCH_INTERVAL_MS = 1000;
const DRAIN_MS = 15_000;

export interface SteadyRun {
  readonly engine: PeerEngine;
  readonly error?: string;
  readonly sent: number;
  readonly producedPerSec: number;
  /** Records in the batches of the measured window, per second of it. */
  readonly consumedPerSec: number;
  /** Records in every batch after the producer started, until the drain ended. */
  readonly consumed: number;
  readonly batches: number;
  readonly totalDelayMs: Spread;
  readonly schedulingDelayMs: Spread;
  /** CPU of the engine's process over the measured window, in cores. */
  readonly cores: number;
  readonly peakRssBytes: number;
  readonly keptUp: boolean;
}

async function steadyRun(
  engine: PeerEngine,
  options: SteadyOptions,
  values: readonly string[],
  jvm: JvmBuild,
): Promise<SteadyRun> {
  const topic = uniqueName('sidestream-bench-peers-steady');
  await createTopic(topic, options.partitions);
  const { command, args } = peerCommand(engine, jvm);
  const peer = startPeerProcess(command, args, peerEnvironment(topic, 0, 'latest'));
  const batches: PeerBatch[] = [];
  let firstBatch!: () => void;
  const running = new Promise<void>((resolve) => {
    firstBatch = resolve;
  });
  peer.onLine((line) => {
    const batch = parsePeerBatch(line);
    if (!batch) return;
    batches.push(batch);
    firstBatch();
  });
  const failed = (error: string): SteadyRun => ({
    engine,
    error,
    sent: 0,
    producedPerSec: 0,
    consumedPerSec: 0,
    consumed: 0,
    batches: 0,
    totalDelayMs: spread([]),
    schedulingDelayMs: spread([]),
    cores: Number.NaN,
    peakRssBytes: Number.NaN,
    keptUp: false,
  });
  try {
    const started = await Promise.race([
      running.then(() => true),
      peer.exited.then(() => false),
      sleep(120_000).then(() => false),
    ]);
    if (!started) return failed(`no batch within 120 s: ${peer.stderr()}`);
    // A few batches more: the group has joined and the latest offsets are fixed before records come.
    await sleep(3 * BATCH_INTERVAL_MS);
    const produced = await runRateProducer(jvm, topic, values, options);
    await sleep(DRAIN_MS);
    const from = produced.started + options.warmupMs;
    const until = produced.ended;
    const window = batches.filter((b) => b.batchTime > from && b.batchTime <= until);
    const tail = window.filter((b) => b.batchTime > until - 10_000);
    const consumed = batches.filter((b) => b.batchTime > produced.started).reduce((n, b) => n + b.records, 0);
    const sampler = peer.sampler;
    const cores = sampler ? (sampler.cpuMsAt(until) - sampler.cpuMsAt(from)) / (until - from) : Number.NaN;
    return {
      engine,
      sent: produced.sent,
      producedPerSec: produced.sent / ((produced.ended - produced.started) / 1000),
      consumedPerSec: window.reduce((n, b) => n + b.records, 0) / ((until - from) / 1000),
      consumed,
      batches: window.length,
      totalDelayMs: spread(window.map((b) => b.totalDelayMs)),
      schedulingDelayMs: spread(window.map((b) => b.schedulingDelayMs)),
      cores,
      peakRssBytes: sampler?.peakRssBytes ?? Number.NaN,
      keptUp:
        consumed >= produced.sent &&
        tail.length > 0 &&
        max(tail.map((b) => b.schedulingDelayMs)) < BATCH_INTERVAL_MS,
    };
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error));
  } finally {
    await peer.end();
    await deleteTopic(topic);
  }
}

export function describeSteadyRun(r: SteadyRun): string {
  if (r.error !== undefined) return `${r.engine}: FAILED: ${r.error.split('\n')[0]?.slice(0, 300)}`;
  const d = r.totalDelayMs;
  return (
    `${r.engine}: ${r.keptUp ? 'kept up' : 'did NOT keep up'}; total delay p50 ${d.p50} / p99 ${d.p99} / ` +
    `max ${d.max} ms over ${r.batches} batches; scheduling delay max ${r.schedulingDelayMs.max} ms; ` +
    `produced ${(r.producedPerSec / 1000).toFixed(1)}k rec/s, consumed ${(r.consumedPerSec / 1000).toFixed(1)}k rec/s ` +
    `in the window (${r.consumed.toLocaleString('en-US')} of ${r.sent.toLocaleString('en-US')} by the drain's end); ` +
    `${r.cores.toFixed(2)} cores, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB`
  );
}

export async function measurePeersSteady(
  options: SteadyOptions,
  progress: (line: string) => void = () => {},
): Promise<SteadyRun[]> {
  const jvm = await ensureJvmBuild(progress);
  const { values } = wordCorpus();
  const runs: SteadyRun[] = [];
  for (const engine of options.engines) {
    const run = await steadyRun(engine, options, values, jvm);
    runs.push(run);
    progress(`  ${describeSteadyRun(run)}`);
    await sleep(1000);
  }
  return runs;
}
