/**
 * The network-fault harness (test/support/network-namespace.ts) against the 3-broker cluster: a
 * process inside a namespace of its own reaches the brokers through their advertised addresses
 * (a kafkajs produce works), loses them under a partition and gets them back when it heals; a
 * delay measurably delays each request; loss drops packets while traffic still flows; the link
 * going down cuts everything until it comes back. And a real agent runs inside: it consumes
 * from the cluster through the namespace and the test reaches its HTTP port from the host.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../support/agent-process.js';
import { LOCK_WAIT_MS, lockKafkaCluster } from '../support/cluster-lock.js';
import {
  CLUSTER_NETNS_HOST,
  clusterNetnsBrokers,
  createClusterTopic,
  newClusterKafka,
  requireKafkaCluster,
} from '../support/kafka-cluster.js';
import { startKeyedProducer } from '../support/keyed-producer.js';
import {
  clusterForwards,
  createNetworkNamespace,
  type NetworkNamespace,
  requireNetworkNamespaces,
} from '../support/network-namespace.js';
import { runArgs } from '../support/run-args.js';
import { uniqueTopic } from '../support/services.js';
import { waitForAsync } from '../support/wait-for-async.js';

const hasHarness = (await requireNetworkNamespaces()) && (await requireKafkaCluster());
const PROBE = fileURLToPath(new URL('./fixtures/metadata-probe.ts', import.meta.url));
const COPY_JOB = fileURLToPath(new URL('../recovery/fixtures/copy-to-kafka.ts', import.meta.url));

interface ProbeLine {
  kind: 'produce' | 'metadata';
  at: number;
  ok: boolean;
  ms: number;
  brokers?: string[];
  error?: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe.runIf(hasHarness)('network faults between a namespace and the cluster', () => {
  let ns: NetworkNamespace;
  let probe: ChildProcess;
  let topic: string;
  const lines: ProbeLine[] = [];
  let output = '';
  /** Metadata attempts that started at or after `from` (and before `to`). */
  const attempts = (from: number, to = Number.POSITIVE_INFINITY) =>
    lines.filter((l) => l.kind === 'metadata' && l.at >= from && l.at < to);

  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await lockKafkaCluster('test/faults/network-faults.test.ts');
    ns = await createNetworkNamespace({ forwards: clusterForwards() });
    topic = await createClusterTopic(uniqueTopic('netns-probe'), 1);
    // `ip netns exec` execs node: the child's pid is the probe's.
    probe = spawn(
      ns.execPrefix[0] as string,
      [...ns.execPrefix.slice(1), process.execPath, '--import', 'tsx', PROBE],
      {
        env: {
          ...process.env,
          ADDRESSES: clusterNetnsBrokers().join(','),
          TOPIC: topic,
          INTERVAL_MS: '200',
          TIMEOUT_MS: '1500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let pending = '';
    probe.stdout?.on('data', (d) => {
      pending += d;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as ProbeLine);
    });
    probe.stderr?.on('data', (d) => {
      output += d;
    });
  }, LOCK_WAIT_MS);

  afterAll(async () => {
    probe?.kill('SIGKILL');
    await ns?.close();
    await release?.();
  });

  it('reaches every broker through its advertised namespace address', { timeout: 60_000 }, async () => {
    await waitForAsync(
      async () => attempts(0).filter((l) => l.ok).length >= 3,
      30_000,
      `probe output: ${output}`,
    );
    expect(lines.find((l) => l.kind === 'produce')).toMatchObject({ ok: true });
    const ok = attempts(0).filter((l) => l.ok);
    expect(ok[0]?.brokers?.sort()).toEqual(clusterNetnsBrokers().sort());
    expect(ok[0]?.brokers?.every((b) => b.startsWith(`${CLUSTER_NETNS_HOST}:`))).toBe(true);
    // The record produced from inside is in the topic.
    const admin = newClusterKafka('netns-probe-admin').admin();
    await admin.connect();
    const [offsets] = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets?.high).toBe('1');
  });

  it('a partition cuts the brokers off; healing brings them back', { timeout: 60_000 }, async () => {
    const before = await ns.droppedPackets();
    const cut = Date.now();
    await ns.partition();
    try {
      // Each attempt waits out its 1.5 s timeout, then the probe pauses 0.2 s: in 6.5 s at least
      // two attempts start and end inside the partition.
      await new Promise((r) => setTimeout(r, 6500));
      const during = attempts(cut + 100, Date.now() - 1600);
      expect(during.length).toBeGreaterThanOrEqual(2);
      expect(during.filter((l) => l.ok)).toEqual([]);
      expect(await ns.droppedPackets()).toBeGreaterThan(before);
    } finally {
      await ns.heal();
    }
    const healed = Date.now();
    await waitForAsync(
      async () => attempts(healed).some((l) => l.ok),
      10_000,
      'a metadata answer after healing',
    );
  });

  it('a delay measurably delays every request', { timeout: 60_000 }, async () => {
    const baselineFrom = Date.now();
    await waitForAsync(
      async () => attempts(baselineFrom).filter((l) => l.ok).length >= 5,
      10_000,
      'a baseline',
    );
    const baseline = median(attempts(baselineFrom).map((l) => l.ms));

    const DELAY = 400;
    ns.delay(DELAY);
    const delayedFrom = Date.now();
    await waitForAsync(
      async () => attempts(delayedFrom).filter((l) => l.ok).length >= 4,
      20_000,
      'delayed answers',
    );
    ns.delay(0);
    const delayed = attempts(delayedFrom).filter((l) => l.ok);
    // A new connection waits D for the forwarder to connect upstream, the request D, the answer D.
    expect(Math.min(...delayed.map((l) => l.ms))).toBeGreaterThanOrEqual(2 * DELAY);
    expect(median(delayed.map((l) => l.ms))).toBeGreaterThanOrEqual(baseline + 2 * DELAY);
    expect(baseline).toBeLessThan(DELAY);
  });

  it('loss drops a share of the packets while requests still get through', { timeout: 60_000 }, async () => {
    const before = await ns.droppedPackets();
    const from = Date.now();
    await ns.loss(30);
    try {
      await waitForAsync(
        async () => attempts(from).filter((l) => l.ok).length >= 3 && (await ns.droppedPackets()) > before,
        30_000,
        'answers and dropped packets under 30% loss',
      );
    } finally {
      await ns.heal();
    }
    expect(await ns.droppedPackets()).toBeGreaterThan(before);
  });

  it('the link going down cuts everything until it is up again', { timeout: 60_000 }, async () => {
    const down = Date.now();
    await ns.linkDown();
    try {
      await new Promise((r) => setTimeout(r, 4000));
      const during = attempts(down + 100, Date.now() - 1600);
      expect(during.length).toBeGreaterThanOrEqual(1);
      expect(during.filter((l) => l.ok)).toEqual([]);
    } finally {
      await ns.linkUp();
    }
    const up = Date.now();
    await waitForAsync(
      async () => attempts(up).some((l) => l.ok),
      10_000,
      'a metadata answer with the link up',
    );
  });

  it('an agent inside consumes through the namespace and answers on its HTTP port', {
    timeout: 120_000,
  }, async () => {
    const input = await createClusterTopic(uniqueTopic('netns-agent-in'), 3);
    const output = await createClusterTopic(uniqueTopic('netns-agent-out'), 1);
    const producer = await startKeyedProducer(input, {
      keys: 5,
      perSend: 20,
      pauseMs: 50,
      kafka: newClusterKafka('netns-agent-producer'),
    });
    await new Promise((r) => setTimeout(r, 1000));
    await producer.stop();
    const dir = await mkdtemp(join(tmpdir(), 'ss-netns-agent-'));
    const http = `${ns.address}:9464`;
    const agent = startAgent(
      runArgs({
        job: COPY_JOB,
        app: 'netns',
        batchInterval: '250ms',
        checkpointDir: join(dir, 'ckpt'),
        http,
      }),
      {
        TOPIC: input,
        OUT_TOPIC: output,
        GROUP: `g-${input}`,
        KAFKA_BROKERS: clusterNetnsBrokers().join(','),
        MAX_RATE: '0',
      },
      { prefix: ns.execPrefix },
    );
    try {
      const admin = newClusterKafka('netns-agent-admin').admin();
      await admin.connect();
      try {
        const ends = new Map((await admin.fetchTopicOffsets(input)).map((o) => [o.partition, o.high]));
        await waitForAsync(
          async () => {
            const [committed] = await admin.fetchOffsets({ groupId: `g-${input}`, topics: [input] });
            return (committed?.partitions ?? []).every((p) => p.offset === ends.get(p.partition));
          },
          60_000,
          `the agent in the namespace to copy ${producer.sent()} records: ${agent.output()}`,
        );
        const [copied] = await admin.fetchTopicOffsets(output);
        // Transaction markers take offsets too: at least one offset per record copied.
        expect(Number(copied?.high)).toBeGreaterThanOrEqual(producer.sent());
      } finally {
        await admin.disconnect();
      }
      const ready = await fetch(`http://${http}/readyz`, { signal: AbortSignal.timeout(5000) });
      expect(ready.status).toBe(200);
      const metrics = await (
        await fetch(`http://${http}/metrics`, { signal: AbortSignal.timeout(5000) })
      ).text();
      expect(metrics).toMatch(/^sidestream_batches_total\{[^}]*app="netns"[^}]*\} [1-9]/m);
    } finally {
      agent.child.kill('SIGKILL');
      await agent.exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
