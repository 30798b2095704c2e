/**
 * False alerts under bursty traffic: a real agent (dist/agent/cli.js, running
 * scripts/false-alert-soak-job.ts on a direct Kafka stream, 1 s batches, a checkpoint directory)
 * scraped by a private real Prometheus that evaluates the SHIPPED alerts/sidestream.rules.yml
 * unchanged, while a producer plays bursts of 20-60 s at 2,000-5,000 records/s separated by idle
 * gaps of 1-5 minutes (test/support/bursty-schedule.ts, seeded). The agent is healthy throughout,
 * so every alert that fires is a false page; the goal is none.
 *
 *   npm run soak:alerts                                  # 30 minutes, Prometheus every 15 s
 *   npm run soak:alerts -- --minutes 3 --scrape-interval 1 --seed 42 --json /tmp/soak.json
 *
 * Options: --minutes (default 30), --seed (default random; printed), --scrape-interval seconds
 * between scrapes and rule evaluations (default 15: what alerts/sidestream.test.yml assumes and a
 * typical deployment scrapes; 1 samples transient states more densely), --dir (default a new
 * temporary directory, kept: agent log, batch log, checkpoint), --json FILE (the summary, with
 * the series behind every alert that went pending or fired).
 *
 * Needs the single broker 127.0.0.1:9092, /usr/bin/prometheus and a build (`npm run build`). Every
 * 5 s it polls Prometheus's /api/v1/alerts; at the end it waits until the group's committed offsets
 * reach the end offsets, adds alerts only the ALERTS series kept, and prints the summary. Exits 0
 * when no alert fired, everything was consumed and every shipped rule was evaluating, 1 otherwise
 * (pending alerts are reported, not failed), 2 on bad arguments. Ctrl-C stops the agent and
 * Prometheus and deletes the topic.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type AgentProcess, CLI, freePort, startAgent } from '../test/support/agent-process.js';
import { type AlertEvidence, alertEvidence } from '../test/support/alert-evidence.js';
import { alertRuleHealth } from '../test/support/alert-rule-health.js';
import { AlertWatch } from '../test/support/alert-watch.js';
import { batchLogPeaks } from '../test/support/batch-log-peaks.js';
import { type BurstyProducer, startBurstyProducer } from '../test/support/bursty-producer.js';
import { burstySchedule } from '../test/support/bursty-schedule.js';
import { waitUntilCommitted } from '../test/support/committed-behind.js';
import { createKafkaTopic } from '../test/support/create-kafka-topic.js';
import { loadRules, RULES_FILE } from '../test/support/dashboard-queries.js';
import {
  type FalseAlertSummary,
  fired,
  formatFalseAlertSummary,
  measured,
} from '../test/support/false-alert-summary.js';
import { type PrometheusProcess, startPrometheus, waitFor } from '../test/support/prometheus.js';
import { runArgs } from '../test/support/run-args.js';
import { newKafka } from '../test/support/services.js';
import { sumMetric } from '../test/support/sum-metric.js';
import { numberOption } from './number-option.js';

const JOB = fileURLToPath(new URL('./false-alert-soak-job.ts', import.meta.url));
const PARTITIONS = 6;
const BATCH_INTERVAL_S = 1;
const POLL_MS = 5000;
const PROGRESS_MS = 30_000;

function usage(message: string): never {
  console.error(`soak:alerts: ${message}
usage: npm run soak:alerts -- [--minutes N] [--seed N] [--scrape-interval SECONDS] [--dir DIR] [--json FILE]`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seed: { type: 'string' },
    'scrape-interval': { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'string' },
  },
  strict: true,
});
const durationMs = Math.round(numberOption(values.minutes, 'minutes', 30, 0.5, usage) * 60_000);
const seed = numberOption(values.seed, 'seed', randomBytes(4).readUInt32BE(0), 0, usage) >>> 0;
const scrapeIntervalS = numberOption(values['scrape-interval'], 'scrape-interval', 15, 1, usage);
// Prometheus durations are whole units; `1.5s` would not load.
if (!Number.isInteger(scrapeIntervalS)) usage('--scrape-interval must be a whole number of seconds');
if (!existsSync(CLI)) usage(`${CLI} is missing: run \`npm run build\` first`);

const startedAt = new Date();
const elapsed = () => `${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1).padStart(5)} min`;
const log = (line: string) => console.log(`[${elapsed()}] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'sidestream-false-alert-soak-')));
await mkdir(dir, { recursive: true });
const topic = `false-alert-soak-${Date.now()}-${randomBytes(3).toString('hex')}`;
const group = `${topic}-group`;
const kafka = newKafka('false-alert-soak');
let agent: AgentProcess | undefined;
let prometheus: PrometheusProcess | undefined;
let producer: BurstyProducer | undefined;

let cleaning: Promise<void> | undefined;
/** Stops everything this run started; safe to call twice (an error during a Ctrl-C cleanup). */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await producer?.stop();
    if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
      // A graceful stop first (its last batch commits); kill -9 if it outlasts the shutdown timeout.
      agent.child.kill('SIGTERM');
      const timer = setTimeout(() => agent?.child.kill('SIGKILL'), 20_000);
      await agent.exited;
      clearTimeout(timer);
    }
    if (agent) await writeFile(join(dir, 'agent.log'), agent.output());
    await prometheus?.stop();
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteTopics({ topics: [topic], timeout: 10_000 }))
      .catch((error) => console.error(`soak:alerts: could not delete topic ${topic}: ${error}`))
      .finally(() => admin.disconnect());
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`soak:alerts: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

async function run(): Promise<FalseAlertSummary> {
  const plan = burstySchedule({ seed, durationMs });
  log(
    `seed ${seed}; ${plan.filter((p) => p.rate > 0).length} bursts planned over ${durationMs / 60_000} min`,
  );
  log(`topic ${topic} (${PARTITIONS} partitions), agent files in ${dir}`);
  await createKafkaTopic(kafka, topic, PARTITIONS);

  const port = await freePort();
  const batchLog = join(dir, 'batches.jsonl');
  const agentUrl = `http://127.0.0.1:${port}`;
  const started = startAgent(
    runArgs({
      job: JOB,
      app: 'false-alert-soak',
      batchInterval: `${BATCH_INTERVAL_S}s`,
      checkpointDir: join(dir, 'checkpoint'),
      batchLog,
      http: `127.0.0.1:${port}`,
    }),
    { TOPIC: topic, GROUP: group },
  );
  agent = started;
  void started.exited.then(({ code, signal }) => {
    if (!cleaning) log(`agent exited on its own (code ${code}, signal ${signal})`);
  });
  // Ready before the first scrape: an agent still starting would be `up == 0`, which is no
  // false alert of the rules but of this script.
  await waitFor(
    'the agent /readyz',
    async () => ((await fetch(`${agentUrl}/readyz`)).ok ? true : undefined),
    60_000,
  );
  const prom = await startPrometheus([`127.0.0.1:${port}`], {
    rules: await readFile(RULES_FILE, 'utf8'),
    scrapeIntervalS,
  });
  prometheus = prom;
  log(`agent ${agentUrl}, Prometheus ${prom.url} (scrape and evaluation every ${scrapeIntervalS} s)`);

  const watch = new AlertWatch(prom.url);
  const agentMetrics = async () => (await fetch(`${agentUrl}/metrics`)).text();
  const playing = await startBurstyProducer(kafka, topic, plan, (phase) =>
    log(
      phase.rate > 0
        ? `burst: ${phase.rate} records/s for ${Math.round(phase.durationMs / 1000)} s`
        : `idle for ${Math.round(phase.durationMs / 1000)} s`,
    ),
  );
  producer = playing;
  let over = false;
  const markOver = () => {
    over = true;
  };
  void playing.done.then(markOver, markOver);
  let lastProgress = 0;
  const pollAlerts = async () => {
    for (const e of await watch.poll())
      log(`ALERT ${e.state}: ${e.name} ${JSON.stringify(e.labels)} value ${e.lastValue}`);
  };
  const progress = async () => {
    const text = await agentMetrics();
    const episodes = watch.episodes();
    log(
      `produced ${playing.produced()}, processed ${sumMetric(text, 'sidestream_records_processed_total')}, ` +
        `batches ${sumMetric(text, 'sidestream_batches_total')}, bursts ${playing.burstsStarted()}, ` +
        `alerts seen ${episodes.length} (fired ${episodes.filter((e) => e.state === 'firing').length})`,
    );
  };
  while (!over) {
    if (started.child.exitCode !== null || started.child.signalCode !== null)
      throw new Error(`the agent exited during the soak; its log: ${join(dir, 'agent.log')}`);
    // A poll that fails once must not end a 30-minute run: the ALERTS series at the end still
    // has every evaluation, so the failure is logged and the next poll tries again.
    await pollAlerts().catch((error) => log(`alert poll failed: ${error}`));
    if (Date.now() - lastProgress >= PROGRESS_MS) {
      lastProgress = Date.now();
      await progress().catch((error) => log(`progress poll failed: ${error}`));
    }
    await sleep(POLL_MS);
  }
  await playing.done;

  const planEndedAt = Date.now();
  const behind = await waitUntilCommitted(kafka, topic, group, 120_000, pollAlerts);
  const drainSeconds = (Date.now() - planEndedAt) / 1000;
  log(
    behind === 0
      ? `drained ${drainSeconds.toFixed(0)} s after the plan ended`
      : `NOT drained: ${behind} records not committed`,
  );
  // One more evaluation after the last poll, then what the polls may have missed.
  await sleep(scrapeIntervalS * 1000 + 1000);
  await pollAlerts();
  const runS = Math.ceil((Date.now() - startedAt.getTime()) / 1000);
  for (const e of watch.mergeHistory(await prom.query(`ALERTS[${runS}s]`)))
    log(`ALERT ${e.state} (only in the ALERTS series): ${e.name} ${JSON.stringify(e.labels)}`);
  const scrapes = async (q: string) => Number((await prom.query(q))[0]?.value?.[1] ?? 0);
  const scrapesTotal = await scrapes(`count_over_time(up{job="sidestream"}[${runS}s])`);
  const scrapesOk = await scrapes(`sum_over_time(up{job="sidestream"}[${runS}s])`);
  const evidence: AlertEvidence[] = [];
  for (const e of watch.episodes()) evidence.push(await alertEvidence(prom.url, e, scrapeIntervalS));
  const text = await agentMetrics();
  return {
    startedAt: startedAt.toISOString(),
    seed,
    durationS: durationMs / 1000,
    scrapeIntervalS,
    topic,
    partitions: PARTITIONS,
    plan,
    recordsProduced: playing.produced(),
    recordsProcessed: sumMetric(text, 'sidestream_records_processed_total'),
    batches: sumMetric(text, 'sidestream_batches_total'),
    drained: behind === 0,
    drainSeconds,
    alertNames: loadRules().map((r) => r.alert),
    rules: await alertRuleHealth(prom.url),
    scrapes: { total: scrapesTotal, failed: scrapesTotal - scrapesOk },
    peaks: await batchLogPeaks(batchLog, BATCH_INTERVAL_S * 1000),
    episodes: watch.episodes(),
    evidence,
    dir,
  };
}

let exitCode = 1;
try {
  const summary = await run();
  console.log(`\n${formatFalseAlertSummary(summary)}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
  if (!measured(summary)) console.error('soak:alerts: the rules did not all evaluate or nothing was scraped');
  exitCode = fired(summary).length === 0 && summary.drained && measured(summary) ? 0 : 1;
} catch (error) {
  console.error(`soak:alerts: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
} finally {
  await cleanup();
  console.log(`agent log, batch log and checkpoint: ${dir}`);
}
process.exit(exitCode);
