/**
 * Memory under sustained load (the goal: RSS < 300 MB at 50k records/s with backpressure
 * on): the real agent (`dist/agent/cli.js run bench/fixtures/rss-job.ts`, executors at their
 * default, one per core) reads a 6-partition topic that a producer thread of this process fills
 * at a steady rate; the agent's resident set (VmRSS of its process, worker threads included) is
 * sampled every 500 ms from /proc, and its consumption from the offsets it commits to Kafka.
 * The job runs either as written (`.ts`: the agent's main thread loads tsx and its hooks thread
 * to import it, and its workers import the copy the agent compiles for them,
 * src/executors/bundle-typescript-job.ts) or compiled to `.mjs` first, as a job is deployed when
 * it is built beforehand (no tsx anywhere; src/job-module.ts registers it for .ts files only).
 * Linux only (/proc). Needs `npm run build` and the broker of `scripts/services.sh up`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';
import { benchKafka, createTopic, deleteTopic, uniqueName } from './kafka-common.js';
import { runProducer } from './kafka-latency.js';
import { max, percentile } from './stats.js';

export interface RssOptions {
  readonly ratePerSec: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly batchIntervalMs: number;
  /** `--executors` of the agent; undefined: its default (one per core). */
  readonly executors?: number;
  /** `ts`: bench/fixtures/rss-job.ts as it is; `js`: the same job compiled to `.mjs` first. */
  readonly job: 'ts' | 'js';
}

export interface RssResult {
  readonly ratePerSec: number;
  readonly producedPerSec: number;
  readonly consumedPerSec: number;
  readonly executors: string;
  readonly job: 'ts' | 'js';
  readonly rssMB: { readonly p50: number; readonly max: number; readonly last: number };
  readonly samples: number;
}

const CLI = fileURLToPath(new URL('../dist/agent/cli.js', import.meta.url));
const JOB = fileURLToPath(new URL('./fixtures/rss-job.ts', import.meta.url));

async function rssMB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status && /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

async function committed(group: string, topic: string): Promise<number> {
  const admin = benchKafka('sidestream-bench-rss-admin').admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return (entry?.partitions ?? []).reduce((n, p) => n + Math.max(Number(p.offset), 0), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The job compiled to an ES module in a directory of its own (type-only imports vanish). */
async function compiledJob(): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sidestream-bench-rss-'));
  const { code } = await transform(await readFile(JOB, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
  });
  const path = join(dir, 'rss-job.mjs');
  await writeFile(path, code);
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function measureRss(options: RssOptions, log: (line: string) => void): Promise<RssResult> {
  const topic = uniqueName('sidestream-bench-rss');
  const group = uniqueName('sidestream-bench-rss');
  await createTopic(topic, 6);
  const compiled = options.job === 'js' ? await compiledJob() : undefined;
  const agent = spawn(
    process.execPath,
    [
      CLI,
      'run',
      compiled?.path ?? JOB,
      '--app',
      'bench-rss',
      '--batch-interval',
      `${options.batchIntervalMs}ms`,
      '--http',
      '127.0.0.1:0',
      ...(options.executors === undefined ? [] : ['--executors', String(options.executors)]),
    ],
    { env: { ...process.env, RSS_TOPIC: topic, RSS_GROUP: group }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  agent.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
  const samples: number[] = [];
  try {
    const producer = runProducer(topic, {
      ratePerSec: options.ratePerSec,
      durationMs: options.warmupMs + options.durationMs,
      keys: 1000,
      valueBytes: 100,
    });
    await new Promise((r) => setTimeout(r, options.warmupMs));
    const from = await committed(group, topic);
    const started = Date.now();
    while (Date.now() - started < options.durationMs) {
      const mb = await rssMB(agent.pid!);
      if (mb === undefined) throw new Error(`the agent exited: ${stderr}`);
      samples.push(mb);
      await new Promise((r) => setTimeout(r, 500));
    }
    const until = await committed(group, topic);
    const seconds = (Date.now() - started) / 1000;
    const sent = await producer.done;
    const result: RssResult = {
      ratePerSec: options.ratePerSec,
      producedPerSec: sent / ((options.warmupMs + options.durationMs) / 1000),
      consumedPerSec: (until - from) / seconds,
      executors: options.executors === undefined ? 'default (one per core)' : String(options.executors),
      job: options.job,
      rssMB: { p50: percentile(samples, 0.5), max: max(samples), last: samples.at(-1) ?? 0 },
      samples: samples.length,
    };
    log(
      `  RSS p50 ${result.rssMB.p50.toFixed(0)} MB, max ${result.rssMB.max.toFixed(0)} MB over ${samples.length} samples; ` +
        `produced ${result.producedPerSec.toFixed(0)} rec/s, consumed ${result.consumedPerSec.toFixed(0)} rec/s`,
    );
    return result;
  } finally {
    agent.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    agent.kill('SIGKILL');
    await compiled?.remove();
    await deleteTopic(topic);
  }
}
