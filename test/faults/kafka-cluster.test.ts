/**
 * The 3-broker test cluster and the broker faults the drills inject (test/support/kafka-cluster.ts,
 * cluster-brokers.ts, partition-leaders.ts): it is replicated as documented (three replicas, two in
 * sync required, internal topics too), a partition's leader moves on request, and a node that is
 * killed, stopped or frozen loses its leaderships while acks=all writes go on, then rejoins the ISR
 * when it is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerProcessState,
  freezeBroker,
  killBroker,
  liveClusterBrokers,
  partitionsMissingReplica,
  restartBroker,
  startBrokers,
  stopBroker,
  thawBroker,
  waitForBrokerInIsr,
} from '../support/cluster-brokers.js';
import { LOCK_WAIT_MS, lockKafkaCluster } from '../support/cluster-lock.js';
import {
  CLUSTER_NODE_IDS,
  clusterBrokers,
  createClusterTopic,
  newClusterKafka,
  requireKafkaCluster,
} from '../support/kafka-cluster.js';
import { moveLeader, partitionLeader, partitionReplicas } from '../support/partition-leaders.js';
import { uniqueTopic } from '../support/services.js';
import { waitForAsync } from '../support/wait-for-async.js';

const hasCluster = await requireKafkaCluster();

/** Sends one acks=all record to `topic` and resolves with its offset. */
async function produceOne(topic: string, value: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await produceOnce(topic, value);
    } catch (error) {
      // Right after a node is fenced, the transaction coordinator it held is still loading on its
      // new node: the idempotent producer's InitProducerId fails before anything is sent, so a
      // new attempt cannot write the record twice. Anything else is the test's failure.
      if (!/coordinator/i.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function produceOnce(topic: string, value: string): Promise<number> {
  const producer = newClusterKafka('cluster-test-producer', { brokers: await liveClusterBrokers() }).producer(
    {
      idempotent: true,
    },
  );
  await producer.connect();
  try {
    const [meta] = await producer.send({ topic, acks: -1, messages: [{ value }] });
    return Number(meta?.baseOffset);
  } finally {
    await producer.disconnect();
  }
}

describe.runIf(hasCluster)('the 3-broker test cluster', () => {
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    release = await lockKafkaCluster('test/faults/kafka-cluster.test.ts');
  }, LOCK_WAIT_MS);
  afterAll(async () => {
    // A failed test must not leave a node down or frozen for the next file.
    for (const id of CLUSTER_NODE_IDS) {
      if ((await brokerProcessState(id)) === 'frozen') await thawBroker(id);
    }
    await startBrokers();
    await release?.();
  }, 180_000);

  it('has three brokers, three replicas per partition and two in sync required', async () => {
    const admin = newClusterKafka('cluster-test-admin').admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([...CLUSTER_NODE_IDS]);
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual(clusterBrokers());

      const topic = await createClusterTopic(uniqueTopic('cluster-rf'), 6);
      const partitions = await partitionReplicas(topic);
      expect(partitions).toHaveLength(6);
      for (const p of partitions) expect([...p.replicas].sort()).toEqual([...CLUSTER_NODE_IDS]);
      // Leaders are spread over the nodes.
      expect(new Set(partitions.map((p) => p.leader)).size).toBe(3);

      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: 2, name: topic, configNames: ['min.insync.replicas', 'unclean.leader.election.enable'] },
        ],
      });
      const entries = Object.fromEntries(
        (configs.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
      );
      expect(entries).toEqual({ 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' });

      // The internal topics the group and transaction coordinators write are replicated too.
      await produceOne(topic, 'warm');
      const { topics } = await admin.fetchTopicMetadata({
        topics: ['__consumer_offsets', '__transaction_state'],
      });
      for (const t of topics) {
        expect(t.partitions.length, t.name).toBeGreaterThan(0);
        for (const p of t.partitions) expect(p.replicas, `${t.name}-${p.partitionId}`).toHaveLength(3);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('moves a partition leader to another in-sync replica', { timeout: 120_000 }, async () => {
    const topic = await createClusterTopic(uniqueTopic('cluster-move'), 1);
    const before = await partitionLeader(topic, 0);
    const to = CLUSTER_NODE_IDS.find((id) => id !== before) as number;
    await moveLeader(topic, 0, to);
    expect(await partitionLeader(topic, 0)).toBe(to);
    const [p] = await partitionReplicas(topic);
    expect(p?.replicas[0]).toBe(to);
    expect([...(p?.isr ?? [])].sort()).toEqual([...CLUSTER_NODE_IDS]);
    // And the partition still takes writes, at the next offset.
    expect(await produceOne(topic, 'after-move')).toBe(0);
    expect(await produceOne(topic, 'after-move-2')).toBe(1);
  });

  it('a killed node loses its leadership, writes go on, and it rejoins the ISR after a restart', {
    timeout: 240_000,
  }, async () => {
    const topic = await createClusterTopic(uniqueTopic('cluster-kill'), 3);
    const victim = await partitionLeader(topic, 0);
    await killBroker(victim);
    expect(await brokerProcessState(victim)).toBe('stopped');

    // The controller fences the dead node (broker.session.timeout.ms) and elects another leader.
    await waitForAsync(
      async () => {
        const leader = await partitionLeader(topic, 0).catch(() => -1);
        return leader !== -1 && leader !== victim;
      },
      60_000,
      'a new leader for partition 0',
    );
    expect(await produceOne(topic, 'while-down')).toBe(0);
    const missing = await partitionsMissingReplica(victim, [topic]);
    expect(missing.filter((name) => name.startsWith(topic)).sort()).toEqual(
      [0, 1, 2].map((p) => `${topic}-${p}`),
    );

    await restartBroker(victim, { topics: [topic] });
    expect(await brokerProcessState(victim)).toBe('running');
    expect(await partitionsMissingReplica(victim, [topic])).toEqual([]);
  });

  it('a stopped node (controlled shutdown) hands its leaderships over before it exits', {
    timeout: 240_000,
  }, async () => {
    const topic = await createClusterTopic(uniqueTopic('cluster-stop'), 3);
    const victim = await partitionLeader(topic, 1);
    await stopBroker(victim);
    // A controlled shutdown moves the leaders before the process exits: no waiting here.
    const leaders = (await partitionReplicas(topic)).map((p) => p.leader);
    expect(leaders).not.toContain(victim);
    expect(leaders).not.toContain(-1);
    expect(await produceOne(topic, 'while-stopped')).toBe(0);
    await restartBroker(victim, { topics: [topic] });
  });

  it('a frozen node is fenced and loses its leadership; thawed, it rejoins the ISR', {
    timeout: 240_000,
  }, async () => {
    const topic = await createClusterTopic(uniqueTopic('cluster-freeze'), 3);
    const victim = await partitionLeader(topic, 2);
    await freezeBroker(victim);
    try {
      expect(await brokerProcessState(victim)).toBe('frozen');
      await waitForAsync(
        async () => {
          const leader = await partitionLeader(topic, 2).catch(() => -1);
          return leader !== -1 && leader !== victim;
        },
        60_000,
        'a new leader for partition 2 while its leader is frozen',
      );
      expect(await produceOne(topic, 'while-frozen')).toBe(0);
    } finally {
      await thawBroker(victim);
    }
    expect(await brokerProcessState(victim)).toBe('running');
    await waitForBrokerInIsr(victim, { topics: [topic] });
    expect(await partitionsMissingReplica(victim, [topic])).toEqual([]);
  });
});
