/**
 * The dashboards and alert rules against REAL services, in one run of about 50 s. A private
 * Prometheus starts first, scrapes every agent every second and evaluates the drill copy of the
 * rules (test/support/drill-rules.ts: `for: 2s`, windows 20s) every second; then three agents run
 * test/integration/fixtures/dashboard-drill.ts (docs/dashboards.md, "Tests against real services"):
 *
 * - Agent A, pushing to carbon (127.0.0.1:2003), with --checkpoint-dir: a generator stream whose
 *   tasks fail on their first attempt; a direct Kafka stream (127.0.0.1:9092) with backpressure on
 *   a fresh 2-partition topic holding a backlog stamped 10 minutes ago (plus one poison record),
 *   read at 20 records/s per partition; a fileTailStream with backpressure on a file this test
 *   appends to every 250 ms (receiver, write-ahead log, checkpoints, rate-changed). Its checkpoint
 *   directory starts with a WAL segment whose only frame is torn: recovery reports a WAL error;
 *   that log's directory is a 16 KiB tmpfs, so its writes soon fail (SidestreamWalErrors).
 * - Agent B, pushing to Graphite through a relay that resets every connection (exporter errors)
 *   until Prometheus has seen those errors rise, and then relays to carbon: a generator stream and a direct Kafka stream on its own
 *   backlogged topic whose output takes 1.5 s and throws (--on-batch-failure continue).
 * - Agent C, the app whose data stopped: a fileTailStream on A's file (it keeps receiving), a
 *   socketTextStream to a port where nothing listens, and an input whose capture of the first
 *   batch never returns (a plan waiting on a frozen broker), so no batch is ever generated.
 *
 * Then: (1) the fire drill, read from /api/v1/alerts (polled every 500 ms from the start, so an
 * alert seen firing once counts): TaskFailures, EventTimeLagHigh and ConsumerLagGrowing fire for A;
 * ExporterFailing, BatchFailed, BatchesQueueing and PartitionStalled for B; ReceiverErrors,
 * InputDisconnected, BatchOverdue and NoRecordsProcessed for C; BatchFailed, BatchesQueueing and
 * ExporterFailing never for A, NoRecordsProcessed and BatchOverdue never for A or B,
 * InputDisconnected never for B; (2) A's /metrics shows the WAL
 * error of the torn tail; (3) every PromQL expression of every Prometheus dashboard panel and every
 * metric selector of every rule returns a non-empty result for A and B; (4) every Graphite target
 * of every Graphite dashboard panel and of the Grafana-managed rules returns non-null datapoints
 * from graphite-web's render API (127.0.0.1:8080, `scripts/services.sh up graphite`); (5) every
 * metric of the catalogue is served by A or B, so no panel is checked against nothing; (6) SIGKILL of
 * agent B makes SidestreamAgentDown fire for its target, and not for A's or C's; (7) the targets
 * carry `cluster="a"`, and the bundle `sidestream dashboards --selector 'cluster="a"'` writes
 * returns data for every Prometheus panel query and template variable, the one for cluster "b"
 * for none (Prometheus also evaluates cluster "a"'s drill rules, whose alerts the Firing alerts
 * panel of that bundle shows).
 *
 * Not drilled: SidestreamCheckpointStale (300 s of
 * wall-clock age, not shortened by the drill copy) and SidestreamRestartLoop (needs a supervised
 * agent crashing four times; test/agent/supervise.test.ts covers the counter).
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { METRICS } from '../../src/telemetry/metrics.js';
import { type AgentProcess, freePort, startAgent } from '../support/agent-process.js';
import { cliBundle } from '../support/bundle-cli.js';
import {
  grafanaRuleTargets,
  loadRules,
  panelQueries,
  promqlSelectors,
  variableQueries,
} from '../support/dashboard-queries.js';
import { drillRules } from '../support/drill-rules.js';
import {
  type PrometheusProcess,
  requirePrometheus,
  startPrometheus,
  waitFor,
} from '../support/prometheus.js';
import {
  createTopic,
  GRAPHITE_HOST,
  GRAPHITE_PORT,
  GRAPHITE_WEB_URL,
  newKafka,
  requireGraphite,
  requireGraphiteWeb,
  requireKafka,
  uniqueTopic,
} from '../support/services.js';

const JOB = fileURLToPath(new URL('./fixtures/dashboard-drill.ts', import.meta.url));
/** How long both agents run before the dashboards are checked: rate windows fill, alerts fire. */
const RUN_MS = 40_000;
/** What `$__rate_interval` becomes: Grafana derives it from the scrape interval (1 s here). */
const RATE_INTERVAL = '20s';

const ready =
  (await requirePrometheus()) &&
  (await requireKafka()) &&
  (await requireGraphite()) &&
  (await requireGraphiteWeb());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `sidestream dashboards` and `alerts` generated for cluster "a" (the targets' label) and "b" (no target's). */
const bundles: Record<string, string> = ready
  ? { a: cliBundle(['--selector', 'cluster="a"']), b: cliBundle(['--selector', 'cluster="b"']) }
  : {};

/**
 * The drill copy of the shipped rules plus the drill copy of cluster "a"'s rules (as a second
 * group): its alerts carry `cluster="a"`, so the cluster bundle's Firing alerts panel has ALERTS
 * to show, and its selectors run against the same data.
 */
function withClusterRules(shipped: string): string {
  const cluster = parse(drillRules({}, join(bundles.a!, 'alerts', 'sidestream.rules.yml'))) as {
    groups: { name: string }[];
  };
  for (const g of cluster.groups) g.name = `${g.name}-cluster-a`;
  const doc = parse(shipped) as { groups: unknown[] };
  return stringify({ groups: [...doc.groups, ...cluster.groups] }, { lineWidth: 0 });
}

/**
 * A TCP relay to carbon that is broken until recover() is called: it accepts each connection and
 * resets it at once (as a carbon relay without a healthy backend does), so the exporter counts a
 * socket error per connect and, its backoff reset by the successful connect, retries within
 * 200 ms: errors keep coming while Prometheus scrapes, however late its first scrape is.
 */
function carbonRelay(port: number): {
  listen(): Promise<void>;
  recover(): void;
  close(): Promise<void>;
} {
  const sockets = new Set<net.Socket>();
  let healthy = false;
  const server = net.createServer((client) => {
    if (!healthy) {
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: GRAPHITE_HOST, port: GRAPHITE_PORT });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return {
    listen: () => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve)),
    recover: () => {
      healthy = true;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}

interface PromAlert {
  labels: Record<string, string>;
  state: string;
  /** The expression's value when it fired, as Prometheus prints it. */
  value?: string;
}

describe.runIf(ready)('dashboards and alerts against a real agent, Prometheus, Kafka and Graphite', () => {
  const stamp = `${Date.now().toString(36)}-${process.pid}`;
  const appA = `dash-a-${stamp}`;
  const appB = `dash-b-${stamp}`;
  let dir = '';
  let agentA: AgentProcess | undefined;
  let agentB: AgentProcess | undefined;
  let agentC: AgentProcess | undefined;
  /** Agent A's receiver-log directory while a tmpfs is mounted on it. */
  let walMounted: string | undefined;
  let portA = 0;
  let portB = 0;
  let portC = 0;
  let prometheus: PrometheusProcess | undefined;
  let relay: ReturnType<typeof carbonRelay> | undefined;
  let topic = '';
  /** Agent B's topic: a backlog its failing, slow output never commits. */
  let stuckTopic = '';
  const appC = `dash-c-${stamp}`;
  /** Appends lines to agent A's tailed file every 250 ms. */
  let tailWriter: NodeJS.Timeout | undefined;
  /** Polls /api/v1/alerts every 500 ms: every alert seen firing, so short-lived ones count too. */
  let alertPoller: NodeJS.Timeout | undefined;
  const seenFiring: PromAlert[] = [];
  /** When both agents were started. */
  let started = Date.now();

  const diagnostics = () =>
    `\n--- agent A ---\n${agentA?.output().slice(-3000) ?? ''}\n--- agent B ---\n${agentB?.output().slice(-2000) ?? ''}` +
    `\n--- agent C ---\n${agentC?.output().slice(-2000) ?? ''}` +
    `\n--- prometheus ---\n${prometheus?.output().slice(-2000) ?? ''}`;

  function runningPrometheus(): PrometheusProcess {
    if (!prometheus) throw new Error('Prometheus is not started yet');
    return prometheus;
  }

  const promQuery = (query: string) => runningPrometheus().query(query);

  async function alerts(): Promise<PromAlert[]> {
    const res = await fetch(`${runningPrometheus().url}/api/v1/alerts`);
    const body = (await res.json()) as { data: { alerts: PromAlert[] } };
    return body.data.alerts;
  }

  const firing = (list: PromAlert[], name: string, labels: Record<string, string>) =>
    list.find(
      (a) =>
        a.state === 'firing' &&
        a.labels.alertname === name &&
        Object.entries(labels).every(([k, v]) => a.labels[k] === v),
    );

  /**
   * Waits until the alert is firing now or, unless `now` is set, was seen firing since the agents
   * started (seenFiring).
   */
  async function waitFiring(
    name: string,
    labels: Record<string, string>,
    timeoutMs: number,
    now = false,
  ): Promise<PromAlert> {
    return waitFor(
      `${name} firing for ${JSON.stringify(labels)}`,
      async () =>
        (now ? undefined : firing(seenFiring, name, labels)) ?? firing(await alerts(), name, labels),
      timeoutMs,
    ).catch(async (error: Error) => {
      const now = (await alerts().catch(() => [])).map(
        (a) => `${a.labels.alertname}{${a.labels.app ?? a.labels.instance}}:${a.state}`,
      );
      throw new Error(`${error.message}; alerts now: ${now.join(', ')}${diagnostics()}`);
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidestream-dash-'));

    // A backlog stamped 10 minutes ago, a poison record first.
    topic = await createTopic(uniqueTopic('dash'), 2);
    const producer = newKafka('dash-producer').producer();
    await producer.connect();
    const old = String(Date.now() - 600_000);
    for (const partition of [0, 1]) {
      await producer.send({
        topic,
        messages: [
          ...(partition === 0 ? [{ partition, value: 'poison', timestamp: old }] : []),
          ...Array.from({ length: 1500 }, (_, i) => ({ partition, value: `r${i}`, timestamp: old })),
        ],
      });
    }
    // Agent B's topic: a backlog on one partition, never committed (its output fails).
    stuckTopic = await createTopic(uniqueTopic('dash-stuck'), 1);
    await producer.send({
      topic: stuckTopic,
      messages: Array.from({ length: 300 }, (_, i) => ({ partition: 0, value: `s${i}` })),
    });
    await producer.disconnect();

    // Agent A's checkpoint directory holds what a crash mid-write leaves behind: a WAL segment of
    // its file-tail receiver (stream 0) whose only frame is torn. Recovery at start cuts it off
    // and reports it (sidestream_wal_errors_total{log="receiver-data"}).
    const checkpointA = join(dir, 'checkpoint-a');
    const walDir = join(checkpointA, 'receivers', 'stream-0', 'data');
    await mkdir(walDir, { recursive: true });
    // And the log's filesystem is a 16 KiB tmpfs (root only): it fills within seconds, so later
    // writes fail for real (SS_WAL_WRITE_FAILED) and SidestreamWalErrors has a rise to see.
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', walDir], { stdio: 'pipe' });
      walMounted = walDir;
    } catch (error) {
      if (process.env.CI === 'true') throw new Error(`CI must be able to mount a tmpfs: ${String(error)}`);
    }
    const header = Buffer.alloc(8);
    header.write('SSWAL\0', 0, 'latin1');
    header.writeUInt16LE(1, 6);
    await writeFile(
      join(walDir, `log-${String(Date.now() - 60_000).padStart(16, '0')}-00000000.wal`),
      Buffer.concat([header, Buffer.from('torn frame of a crashed write')]),
    );
    // The file agent A tails: lines from the start, more every 250 ms.
    const tailFile = join(dir, 'tail.log');
    await writeFile(tailFile, Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    let tailed = 50;
    tailWriter = setInterval(() => {
      const lines = Array.from({ length: 25 }, () => `line ${tailed++}\n`).join('');
      appendFile(tailFile, lines).catch(() => {});
    }, 250);

    portA = await freePort();
    portB = await freePort();
    portC = await freePort();
    // Nothing listens here: agent C's socket receiver is refused.
    const refusedPort = await freePort();
    const relayPort = await freePort();
    relay = carbonRelay(relayPort);
    await relay.listen();
    const common = [
      '--batch-interval',
      '500ms',
      '--default-parallelism',
      '2',
      '--on-batch-failure',
      'continue',
    ];
    // Prometheus first: it scrapes every agent from its first response, so counters that move
    // right after the start (agent B's exporter errors) are increases it sees.
    prometheus = await startPrometheus([`127.0.0.1:${portA}`, `127.0.0.1:${portB}`, `127.0.0.1:${portC}`], {
      rules: withClusterRules(drillRules()),
      // Every target in cluster "a", the label the bundle below is generated to select.
      targetLabels: { cluster: 'a' },
    });

    agentA = startAgent(
      [
        'run',
        JOB,
        '--app',
        appA,
        '--http',
        `127.0.0.1:${portA}`,
        '--graphite',
        `tcp://${GRAPHITE_HOST}:${GRAPHITE_PORT}`,
        '--checkpoint-dir',
        checkpointA,
        ...common,
      ],
      { TOPIC: topic, GROUP: `${topic}-group`, MAX_RATE: '20', TAIL_FILE: tailFile },
    );
    agentB = startAgent(
      [
        'run',
        JOB,
        '--app',
        appB,
        '--http',
        `127.0.0.1:${portB}`,
        '--graphite',
        `tcp://127.0.0.1:${relayPort}`,
        ...common,
      ],
      { NO_FAILURES: '1', TOPIC: stuckTopic, GROUP: `${stuckTopic}-group`, STUCK: '1' },
    );
    agentC = startAgent(['run', JOB, '--app', appC, '--http', `127.0.0.1:${portC}`, ...common], {
      ONLY_SOCKET: '1',
      SOCKET_PORT: String(refusedPort),
      TAIL_FILE: tailFile,
      FREEZE_AFTER: '0',
    });

    started = Date.now();

    alertPoller = setInterval(() => {
      alerts()
        .then((list) => {
          for (const a of list) {
            if (a.state === 'firing' && !firing(seenFiring, a.labels.alertname!, a.labels))
              seenFiring.push(a);
          }
        })
        .catch(() => {});
    }, 500);

    // Carbon "comes back" once Prometheus has seen agent B's exporter errors rise (the exporter
    // connects at its first flush, after B's first batch, so a fixed delay is a race on 2 cores).
    await waitFor(
      "agent B's exporter errors in Prometheus",
      async () =>
        (await promQuery(`increase(sidestream_exporter_errors_total{app="${appB}"}[20s]) > 0`)).length > 0
          ? true
          : undefined,
      30_000,
    );
    relay.recover();
  }, 90_000);

  afterAll(async () => {
    clearInterval(tailWriter);
    clearInterval(alertPoller);
    for (const agent of [agentA, agentB, agentC]) {
      if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.child.kill('SIGKILL');
        await agent.exited;
      }
    }
    await prometheus?.stop();
    await relay?.close();
    if (walMounted) execFileSync('umount', [walMounted]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('fire drill: task failures, event-time lag and a backlogged consumer fire their alerts (agent A)', async () => {
    const a = { app: appA };
    await waitFiring('SidestreamTaskFailures', a, 40_000);
    // The generator input's stream label is its name, `generator`.
    await waitFiring('SidestreamEventTimeLagHigh', { ...a, stream: 'generator' }, 20_000);
    const lag = await waitFiring('SidestreamConsumerLagGrowing', { ...a, topic }, 40_000);
    expect(['0', '1']).toContain(lag.labels.partition);
  }, 120_000);

  it('fire drill: failing exporter, failed and queueing batches and a stalled partition (agent B)', async () => {
    const b = { app: appB };
    // Agent B's Graphite connections were reset until the relay recovered; the increase leaves the 20 s
    // window soon after, so this one is read first (seenFiring keeps it anyway).
    await waitFiring('SidestreamExporterFailing', b, 30_000);
    await waitFiring('SidestreamBatchFailed', b, 30_000);
    await waitFiring('SidestreamBatchesQueueing', b, 30_000);
    await waitFiring('SidestreamPartitionStalled', { ...b, topic: stuckTopic, partition: '0' }, 30_000);
    // Agent A's batches succeed and its exporter connects: neither fires for A.
    for (const name of ['SidestreamBatchFailed', 'SidestreamBatchesQueueing', 'SidestreamExporterFailing']) {
      expect(firing(seenFiring, name, { app: appA }), `${name} for agent A`).toBeUndefined();
    }
  }, 120_000);

  it('fire drill: a refused receiver, a stuck generation and input nobody processes (agent C)', async () => {
    const c = { app: appC };
    const receiver = await waitFiring('SidestreamReceiverErrors', c, 30_000);
    expect(receiver.labels.stream).toMatch(/^socket:127\.0\.0\.1:\d+$/);
    const disconnected = await waitFiring('SidestreamInputDisconnected', c, 30_000);
    expect(disconnected.labels.stream).toMatch(/^socket:127\.0\.0\.1:\d+$/);
    await waitFiring('SidestreamBatchOverdue', c, 30_000);
    // Its file tail keeps receiving; nothing is processed.
    await waitFiring('SidestreamNoRecordsProcessed', c, 40_000);
    // /readyz says why, in words.
    const readyz = await fetch(`http://127.0.0.1:${portC}/readyz`);
    expect(readyz.status).toBe(503);
    const reasons = await readyz.text();
    expect(reasons).toMatch(/is overdue: not generated .* waiting for input frozen-upstream/);
    expect(reasons).toMatch(/input socket:127\.0\.0\.1:\d+ is not connected: .*ECONNREFUSED/);
    // Agents A and B process records and generate their batches on time.
    for (const app of [appA, appB]) {
      expect(firing(seenFiring, 'SidestreamNoRecordsProcessed', { app }), app).toBeUndefined();
      expect(firing(seenFiring, 'SidestreamBatchOverdue', { app }), app).toBeUndefined();
    }
    expect(firing(seenFiring, 'SidestreamInputDisconnected', { app: appB })).toBeUndefined();
  }, 90_000);

  it('the torn WAL tail in the checkpoint directory of agent A was reported by the recovery at start', async () => {
    const text = await (await fetch(`http://127.0.0.1:${portA}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('sidestream_wal_errors_total{') && l.includes('log="receiver-data"'));
    expect(line, text.slice(0, 500)).toBeDefined();
    expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(1);
    // The WAL written since: the same receiver's blocks.
    expect(text).toMatch(/^sidestream_wal_writes_total\{[^}]*\} [1-9]/m);
  });

  it('fire drill: a full disk under the receiver log of agent A makes SidestreamWalErrors fire', async (ctx) => {
    if (!walMounted) ctx.skip('cannot mount a tmpfs here (needs root; CI=true fails instead)');
    const alert = await waitFiring('SidestreamWalErrors', { app: appA }, 40_000);
    expect(alert.state).toBe('firing');
    expect(firing(seenFiring, 'SidestreamWalErrors', { app: appB })).toBeUndefined();
  }, 60_000);

  it('every PromQL expression of the Prometheus dashboards and every rule selector returns data', async () => {
    // The panels are checked after the agents have run for RUN_MS, so the rate windows are full.
    await sleep(Math.max(0, RUN_MS - (Date.now() - started)));
    const apps = `${appA}|${appB}`;
    const queries = panelQueries('prometheus');
    const empty: string[] = [];
    let checked = 0;
    for (const q of queries) {
      const expr = q.query
        .replaceAll('$__rate_interval', RATE_INTERVAL)
        .replaceAll('$app', apps)
        .replaceAll('$instance', `127.0.0.1:(${portA}|${portB})`);
      const result = await promQuery(expr);
      checked++;
      if (result.length === 0) empty.push(`${q.dashboard} / ${q.panel}: ${expr}`);
    }
    for (const rule of loadRules()) {
      for (const selector of promqlSelectors(rule.expr)) {
        // Scoped to this run's agents (the `up` selector by its targets).
        const scoped = selector.startsWith('up')
          ? selector.replace('}', `, instance=~"127.0.0.1:(${portA}|${portB})"}`)
          : selector.includes('{')
            ? selector.replace('{', `{app=~"${apps}", `)
            : `${selector}{app=~"${apps}"}`;
        const result = await promQuery(scoped);
        checked++;
        if (result.length === 0) empty.push(`rule ${rule.alert}: ${scoped}`);
      }
    }
    expect(empty, `empty results${diagnostics()}`).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  }, 90_000);

  it('the bundle generated with --selector cluster="a": every Prometheus panel query and template variable returns data; with cluster="b" none does', async () => {
    // After the test above, the agents have run RUN_MS: the rate windows are full.
    await sleep(Math.max(0, RUN_MS - (Date.now() - started)));
    const apps = `${appA}|${appB}`;
    const instances = `127.0.0.1:(${portA}|${portB})`;
    const resolve = (query: string) =>
      query
        .replaceAll('$__rate_interval', RATE_INTERVAL)
        .replaceAll('$app', apps)
        .replaceAll('$instance', instances);
    /** What Grafana asks Prometheus for `label_values(<series>, <label>)`: the label's values on those series. */
    const labelValues = async (query: string): Promise<string[]> => {
      const [, series, label] = /^label_values\((.+), (\w+)\)$/.exec(resolve(query)) ?? [];
      if (!series || !label) throw new Error(`not a label_values query: ${query}`);
      const url = `${runningPrometheus().url}/api/v1/label/${label}/values?match[]=${encodeURIComponent(series)}`;
      return ((await (await fetch(url)).json()) as { data: string[] }).data;
    };
    for (const cluster of ['a', 'b']) {
      const root = bundles[cluster]!;
      const queries = panelQueries('prometheus', root);
      const variables = variableQueries('prometheus', root);
      expect(queries.length).toBeGreaterThan(40);
      expect(variables.length).toBe(8);
      const found: string[] = [];
      const empty: string[] = [];
      for (const q of queries) {
        const expr = resolve(q.query);
        expect(expr, 'generated with the selector').toContain(`cluster="${cluster}"`);
        ((await promQuery(expr)).length > 0 ? found : empty).push(`${q.dashboard} / ${q.panel}: ${expr}`);
      }
      for (const v of variables) {
        const values = await labelValues(v.query);
        const wanted = v.panel === 'variable app' ? appA : `127.0.0.1:${portA}`;
        (values.includes(wanted) ? found : empty).push(
          `${v.dashboard} / ${v.panel}: ${v.query} -> ${values}`,
        );
      }
      if (cluster === 'a') expect(empty, `empty results with cluster="a"${diagnostics()}`).toEqual([]);
      else expect(found, 'results with cluster="b": the selector is not applied').toEqual([]);
    }
  }, 90_000);

  it('every Graphite target of the Graphite dashboards and Grafana rules returns datapoints from graphite-web', async () => {
    const apps = `{${appA},${appB}}`;
    // The rules match every app (`sidestream.*.`), the panels the chosen ones (`$app`): both are
    // scoped to this run's two apps below.
    const targets = [...panelQueries('graphite'), ...grafanaRuleTargets()];
    const empty: string[] = [];
    let checked = 0;
    for (const t of targets) {
      const query = t.query.replaceAll('$app', apps).replaceAll('sidestream.*.', `sidestream.${apps}.`);
      const url = `${GRAPHITE_WEB_URL}/render?format=json&from=-3min&until=now&target=${encodeURIComponent(query)}`;
      const res = await fetch(url);
      expect(res.status, `${t.panel}: ${query}: ${await res.clone().text()}`).toBe(200);
      const series = (await res.json()) as { target: string; datapoints: [number | null, number][] }[];
      checked++;
      const points = series.flatMap((s) => s.datapoints.filter(([v]) => v !== null));
      if (points.length === 0) empty.push(`${t.dashboard} / ${t.panel}: ${query}`);
    }
    expect(empty, `targets without datapoints${diagnostics()}`).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  }, 60_000);

  it('every catalogue metric is served by agent A or B (no panel is checked against nothing)', async () => {
    const served = new Set<string>();
    for (const port of [portA, portB]) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)/gm))
        served.add(m[1]!.replace(/_(bucket|count|sum)$/, ''));
    }
    expect(METRICS.map((m) => m.name).filter((n) => !served.has(n))).toEqual([]);
  });

  it('fire drill: a stopped agent makes SidestreamAgentDown fire for its target', async () => {
    agentB!.child.kill('SIGKILL');
    await agentB!.exited;
    // Only what fires now counts: targets are down for a moment while the agents start.
    await waitFiring(
      'SidestreamAgentDown',
      { job: 'sidestream', instance: `127.0.0.1:${portB}` },
      30_000,
      true,
    );
    // The running agent's target does not fire.
    expect(firing(await alerts(), 'SidestreamAgentDown', { instance: `127.0.0.1:${portA}` })).toBeUndefined();
    expect(firing(await alerts(), 'SidestreamAgentDown', { instance: `127.0.0.1:${portC}` })).toBeUndefined();
  }, 45_000);
});
