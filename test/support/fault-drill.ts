/**
 * A fault drill: a real agent (test/faults/fixtures/drill-copy.ts, copying a cluster topic through
 * the transactional Kafka sink) scraped by a real Prometheus that evaluates the fire-drill copy of
 * the shipped alert rules (drill-rules.ts), and a watcher that polls every signal an operator has
 * (GET /readyz, GET /api/status, the agent's JSON log, GET /metrics, Prometheus' alerts) and
 * records when each one first showed the fault. docs/faults.md is the table of what each drill
 * expects and measured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kafka, logLevel } from 'kafkajs';
import { type AgentProcess, freePort, startAgent } from './agent-process.js';
import { drillRules } from './drill-rules.js';
import { clusterBrokers, clusterNetnsBrokers, newClusterKafka } from './kafka-cluster.js';
import type { NetworkNamespace } from './network-namespace.js';
import { type PrometheusProcess, startPrometheus } from './prometheus.js';
import { runArgs } from './run-args.js';
import { readTopicRecords, topicEnds } from './topic-records.js';
import { waitForAsync } from './wait-for-async.js';

const COPY_JOB = fileURLToPath(new URL('../faults/fixtures/drill-copy.ts', import.meta.url));
const RECEIVE_JOB = fileURLToPath(new URL('../faults/fixtures/drill-receive.ts', import.meta.url));
const TIMEOUT = () => AbortSignal.timeout(2000);

export interface DrillAgentOptions {
  readonly topic: string;
  readonly outTopic: string;
  readonly group: string;
  readonly batchIntervalMs: number;
  /** Runs the agent inside this namespace (its brokers through the namespace's forwards). */
  readonly ns?: NetworkNamespace;
  /**
   * `copy` (default): the direct stream into the transactional sink; `receive`: a Kafka receiver
   * stream appending values to the file `outFile` (then `outTopic` is unused).
   */
  readonly input?: 'copy' | 'receive';
  readonly outFile?: string;
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  /** When the test read it (the agent's own `time` may come from a skewed clock in principle). */
  readonly seenAt: number;
}

export interface DrillAgent {
  readonly url: string;
  readonly agent: AgentProcess;
  readonly prometheus: PrometheusProcess;
  /** The agent's JSON log lines so far, with when each was read. */
  logLines(): readonly LogLine[];
  /** The agent's output and the end of Prometheus', for a failure message. */
  diagnostics(): string;
  stop(): Promise<void>;
}

/** Starts the agent (and Prometheus scraping it with the drill rules); resolves once it is ready. */
export async function startDrillAgent(options: DrillAgentOptions): Promise<DrillAgent> {
  const dir = await mkdtemp(join(tmpdir(), 'ss-drill-'));
  const port = await freePort();
  const host = options.ns?.address ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  const agent = startAgent(
    runArgs({
      job: options.input === 'receive' ? RECEIVE_JOB : COPY_JOB,
      app: 'drill',
      batchInterval: `${options.batchIntervalMs}ms`,
      checkpointDir: join(dir, 'ckpt'),
      flags: ['--log-format', 'json'],
      http: `${host}:${port}`,
    }),
    {
      TOPIC: options.topic,
      OUT_TOPIC: options.outTopic,
      GROUP: options.group,
      KAFKA_BROKERS: (options.ns ? clusterNetnsBrokers() : clusterBrokers()).join(','),
      OUT_FILE: options.outFile ?? join(dir, 'out.txt'),
    },
    options.ns ? { prefix: options.ns.execPrefix } : {},
  );
  const lines: LogLine[] = [];
  let pending = '';
  const take = (chunk: Buffer | string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      if (!part.startsWith('{')) continue;
      try {
        const record = JSON.parse(part) as { level?: unknown; msg?: unknown };
        lines.push({ level: String(record.level), msg: String(record.msg), seenAt: Date.now() });
      } catch {
        // Not a log record (the job's own output): the drills read only the agent's log.
      }
    }
  };
  agent.child.stderr?.on('data', take);
  const prometheus = await startPrometheus([`${host}:${port}`], {
    rules: drillRules({ forDuration: '2s', window: '20s' }),
  });
  const diagnostics = () =>
    `\n--- agent ---\n${agent.output().slice(-6000)}\n--- prometheus ---\n${prometheus.output().slice(-2000)}`;
  const stop = async () => {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
    await prometheus.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { url, agent, prometheus, logLines: () => lines, diagnostics, stop };
}

/** What each signal must show for a fault; a missing one is not watched. */
export interface SignalChecks {
  /** GET /readyz answers 503 with a body that matches. */
  readonly readyz?: RegExp;
  /**
   * GET /api/status (what the status page prints as text): an input not connected whose reason
   * matches, or a readiness reason that matches.
   */
  readonly status?: RegExp;
  /** A log line at warn or error, read after the fault, whose message matches. */
  readonly log?: RegExp;
  /** A line of GET /metrics matches. */
  readonly metric?: RegExp;
  /** This alert is firing in Prometheus (the drill rules: `for` 2 s, windows 20 s). */
  readonly alert?: string;
}

export type SignalName = keyof SignalChecks;
export const SIGNALS: readonly SignalName[] = ['readyz', 'status', 'log', 'metric', 'alert'];

/** Milliseconds from the fault to the first poll that saw each signal; absent: never seen. */
export type Detected = Partial<Record<SignalName, number>>;

interface StatusInput {
  readonly connected: boolean | null;
  readonly disconnectedReason: string | null;
}

async function readyzShows(url: string, pattern: RegExp): Promise<boolean> {
  const res = await fetch(`${url}/readyz`, { signal: TIMEOUT() });
  return res.status === 503 && pattern.test(await res.text());
}

async function statusShows(url: string, pattern: RegExp): Promise<boolean> {
  const res = await fetch(`${url}/api/status`, { signal: TIMEOUT() });
  const body = (await res.json()) as {
    inputs: readonly StatusInput[];
    readiness: { reasons: readonly string[] };
  };
  return (
    body.inputs.some((i) => i.connected === false && pattern.test(i.disconnectedReason ?? '')) ||
    body.readiness.reasons.some((r) => pattern.test(r))
  );
}

async function metricShows(url: string, pattern: RegExp): Promise<boolean> {
  const res = await fetch(`${url}/metrics`, { signal: TIMEOUT() });
  return (await res.text()).split('\n').some((line) => pattern.test(line));
}

/** The alerts Prometheus has in `state` now, by name. */
export async function alertsIn(
  prometheus: PrometheusProcess,
  state: 'firing' | 'pending',
): Promise<string[]> {
  const res = await fetch(`${prometheus.url}/api/v1/alerts`, { signal: TIMEOUT() });
  const body = (await res.json()) as {
    data: { alerts: readonly { labels: Record<string, string>; state: string }[] };
  };
  return body.data.alerts.filter((a) => a.state === state).map((a) => a.labels.alertname ?? '?');
}

/**
 * Polls every watched signal every 200 ms from now until all have shown the fault or `timeoutMs`
 * passed; resolves to the time each took from `faultAt`. A signal that errs (an agent cut off
 * from the test) counts as not showing yet.
 */
export async function watchSignals(
  drill: DrillAgent,
  faultAt: number,
  checks: SignalChecks,
  timeoutMs: number,
): Promise<Detected> {
  const detected: Detected = {};
  const probes: Record<SignalName, (() => Promise<boolean>) | undefined> = {
    readyz: checks.readyz && (() => readyzShows(drill.url, checks.readyz as RegExp)),
    status: checks.status && (() => statusShows(drill.url, checks.status as RegExp)),
    log:
      checks.log &&
      (async () =>
        drill
          .logLines()
          .some(
            (l) =>
              l.seenAt >= faultAt && (l.level === 'warn' || l.level === 'error') && checks.log?.test(l.msg),
          )),
    metric: checks.metric && (() => metricShows(drill.url, checks.metric as RegExp)),
    alert:
      checks.alert === undefined
        ? undefined
        : async () => (await alertsIn(drill.prometheus, 'firing')).includes(checks.alert ?? ''),
  };
  const watched = SIGNALS.filter((s) => probes[s] !== undefined);
  const deadline = Date.now() + timeoutMs;
  while (watched.some((s) => detected[s] === undefined) && Date.now() < deadline) {
    await Promise.all(
      watched
        .filter((s) => detected[s] === undefined)
        .map(async (s) => {
          const shows = await (probes[s] as () => Promise<boolean>)().catch(() => false);
          if (shows) detected[s] = Date.now() - faultAt;
        }),
    );
    await new Promise((r) => setTimeout(r, 200));
  }
  return detected;
}

/** One line for the test's output: the fault and each signal's time to detect. */
export function formatDetection(fault: string, detected: Detected): string {
  const cells = SIGNALS.map(
    (s) => `${s} ${detected[s] === undefined ? '-' : `${(detected[s] / 1000).toFixed(1)} s`}`,
  );
  return `time to detect, ${fault}: ${cells.join(', ')}`;
}

/**
 * What went wrong while nothing should have: polls for `ms` and collects every moment /readyz was
 * not 200, and every alert that fired (a page) or only went pending (no page), by name.
 */
export async function watchQuiet(
  drill: DrillAgent,
  ms: number,
): Promise<{ notReady: string[]; firing: Set<string>; pending: Set<string> }> {
  const notReady: string[] = [];
  const firing = new Set<string>();
  const pending = new Set<string>();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const res = await fetch(`${drill.url}/readyz`, { signal: TIMEOUT() }).catch(() => undefined);
    if (res?.status !== 200) notReady.push(res ? `${res.status}: ${await res.text()}` : 'no answer');
    for (const name of await alertsIn(drill.prometheus, 'firing').catch(() => [])) firing.add(name);
    for (const name of await alertsIn(drill.prometheus, 'pending').catch(() => [])) pending.add(name);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { notReady, firing, pending };
}

/** Waits until /readyz answers 200 again. */
export async function waitReady(drill: DrillAgent, timeoutMs: number): Promise<void> {
  await waitForAsync(
    async () =>
      (await fetch(`${drill.url}/readyz`, { signal: TIMEOUT() }).catch(() => undefined))?.status === 200,
    timeoutMs,
    `the agent ready${drill.diagnostics()}`,
  );
}

/** A producer that keeps sending numbered records (idempotent; a failed send is retried by the next). */
export interface DrillProducer {
  sent(): number;
  stop(): Promise<void>;
}

export async function startDrillProducer(
  topic: string,
  kafka: Kafka = newClusterKafka(`drill-producer-${topic}`, { logLevel: logLevel.NOTHING }),
): Promise<DrillProducer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let running = true;
  let seq = 0;
  const done = (async () => {
    while (running) {
      const messages = Array.from({ length: 10 }, (_, i) => ({
        key: `k${(seq + i) % 7}`,
        value: String(seq + i),
      }));
      try {
        await producer.send({ topic, messages });
        seq += messages.length;
      } catch {
        // Across a fault a send may fail; the topic read back is the truth, not this count.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await producer.disconnect().catch(() => {});
  })();
  return {
    sent: () => seq,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/**
 * Exactly-once after recovery: waits until the group's committed offsets reach the input's ends,
 * then compares the output topic read back (read_committed) with the input: every input value
 * exactly once, nothing else.
 */
export async function expectExactlyOnce(
  input: string,
  output: string,
  group: string,
  timeoutMs: number,
  diagnostics: () => string,
): Promise<{ input: number; output: number; missing: number; duplicated: number }> {
  const kafka = newClusterKafka(`drill-check-${input}`);
  const ends = await topicEnds(kafka, input);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitForAsync(
      async () => {
        // A request that times out on a busy machine is "not yet", not a failed drill.
        const answer = await admin.fetchOffsets({ groupId: group, topics: [input] }).catch(() => undefined);
        const [committed] = answer ?? [];
        return committed?.partitions.every((p) => Number(p.offset) === ends.get(p.partition)) ?? false;
      },
      timeoutMs,
      `the group ${group} to commit the input's ends${diagnostics()}`,
    );
  } finally {
    await admin.disconnect();
  }
  const counts = new Map<string, number>();
  const inputs = await readTopicRecords(kafka, input);
  for (const r of inputs) counts.set(r.value ?? '', (counts.get(r.value ?? '') ?? 0) + 1);
  const outputs = await readTopicRecords(kafka, output);
  for (const r of outputs) counts.set(r.value ?? '', (counts.get(r.value ?? '') ?? 0) - 1);
  let missing = 0;
  let duplicated = 0;
  for (const n of counts.values()) {
    if (n > 0) missing += n;
    if (n < 0) duplicated -= n;
  }
  return { input: inputs.length, output: outputs.length, missing, duplicated };
}
