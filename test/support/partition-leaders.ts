/**
 * Partition leadership on the 3-broker test cluster (kafka-cluster.ts): who leads a partition, and
 * moving the leadership to another in-sync replica the way an operator does, with Kafka's own
 * tools: the replica list is reordered so that the target is the preferred replica (an
 * AlterPartitionReassignments of the same replicas, what kafka-reassign-partitions sends), then a
 * preferred leader election runs (kafka-leader-election, from the tools jars that
 * `scripts/services.sh up kafka-cluster` caches). The partition stays available throughout: the
 * old leader hands over to a replica that is in sync.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { logLevel } from 'kafkajs';
import { liveClusterBrokers } from './cluster-brokers.js';
import { clusterRunDir, kafkaCacheDir, newClusterKafka } from './kafka-cluster.js';
import { nodeMetadata } from './node-metadata.js';
import { waitForAsync } from './wait-for-async.js';

export interface PartitionReplicas {
  readonly partition: number;
  /** The leader's node id, or -1 while there is none. */
  readonly leader: number;
  /** Every replica, the preferred leader first. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/** An admin bootstrapped from the nodes that answer (not a frozen one). */
async function clusterAdmin() {
  return newClusterKafka('sidestream-test-leaders', {
    brokers: await liveClusterBrokers(),
    logLevel: logLevel.NOTHING,
    requestTimeout: 5000,
    retry: { retries: 3, initialRetryTime: 200 },
  }).admin();
}

/**
 * Each partition of `topic`, in partition order, as every node that runs (and is not frozen)
 * says it is. Nodes disagree for a moment after a change (each follows the controller's log at
 * its own pace); then this throws, and the waits below poll again.
 */
export async function partitionReplicas(topic: string): Promise<PartitionReplicas[]> {
  let agreed: PartitionReplicas[] | undefined;
  let agreedBy = '';
  for (const address of await liveClusterBrokers()) {
    const metadata = await nodeMetadata(address, [topic]);
    const t = metadata.topics[0];
    if (t === undefined || t.errorCode !== 0) {
      throw new Error(`${address} does not know ${topic} (error ${t?.errorCode})`);
    }
    const view = t.partitions
      .map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas,
        isr: [...p.isr].sort(),
      }))
      .sort((a, b) => a.partition - b.partition);
    if (agreed === undefined) {
      agreed = view;
      agreedBy = address;
    } else if (JSON.stringify(view) !== JSON.stringify(agreed)) {
      throw new Error(`${address} and ${agreedBy} disagree about ${topic} (a change is spreading)`);
    }
  }
  if (agreed === undefined) throw new Error('no node of the cluster runs');
  return agreed;
}

/** `topic`-`partition` once the nodes agree about it (retrying for up to `timeoutMs`). */
async function settledPartition(
  topic: string,
  partition: number,
  timeoutMs = 10_000,
): Promise<PartitionReplicas> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const found = (await partitionReplicas(topic)).find((p) => p.partition === partition);
      if (!found) throw new Error(`${topic} has no partition ${partition}`);
      return found;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The node id leading `topic`-`partition` (-1 while there is no leader), once the nodes agree. */
export async function partitionLeader(topic: string, partition: number): Promise<number> {
  return (await settledPartition(topic, partition)).leader;
}

/** The classpath of Kafka's command-line tools, as services.sh resolved them for the cluster's version. */
async function kafkaToolsClasspath(): Promise<string> {
  const version = (await readFile(join(clusterRunDir(), 'version'), 'utf8')).trim();
  return join(kafkaCacheDir(), `kafka-${version}`, 'tools', '*');
}

/** Runs `kafka-leader-election --election-type PREFERRED` for one partition. */
async function electPreferredLeader(topic: string, partition: number): Promise<void> {
  const args = [
    '-cp',
    await kafkaToolsClasspath(),
    'org.apache.kafka.tools.LeaderElectionCommand',
    '--bootstrap-server',
    (await liveClusterBrokers()).join(','),
    '--election-type',
    'PREFERRED',
    '--topic',
    topic,
    '--partition',
    String(partition),
  ];
  try {
    await promisify(execFile)('java', args, { timeout: 60_000 });
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ''}${(error as { stderr?: string }).stderr ?? ''}`;
    // The election of a partition whose preferred replica already leads "fails" with this; the
    // caller checks the outcome in the metadata anyway.
    if (!output.includes('ElectionNotNeeded')) {
      throw new Error(`kafka-leader-election for ${topic}-${partition} failed: ${output.trim()}`);
    }
  }
}

/**
 * Moves the leadership of `topic`-`partition` to node `to`, which must be an in-sync replica;
 * resolves when the metadata shows `to` leading. The replica set stays the same, only its order.
 */
export async function moveLeader(
  topic: string,
  partition: number,
  to: number,
  timeoutMs = 60_000,
): Promise<void> {
  const current = await settledPartition(topic, partition);
  if (current.leader === to) return;
  if (!current.isr.includes(to)) {
    throw new Error(`node ${to} is not in the ISR of ${topic}-${partition} (ISR ${current.isr.join(',')})`);
  }
  const replicas = [to, ...current.replicas.filter((r) => r !== to)];
  const admin = await clusterAdmin();
  await admin.connect();
  try {
    await admin.alterPartitionReassignments({
      topics: [{ topic, partitionAssignment: [{ partition, replicas }] }],
    });
    await waitForAsync(
      async () => {
        const ongoing = await admin.listPartitionReassignments({
          topics: [{ topic, partitions: [partition] }],
        });
        const busy = ongoing.topics.some((t) => t.partitions.some((p) => p.partitionIndex === partition));
        const now = await settledPartition(topic, partition, 0).catch(() => undefined);
        return !busy && now?.replicas[0] === to;
      },
      timeoutMs,
      `the replicas of ${topic}-${partition} to be reordered as ${replicas.join(',')}`,
    );
  } finally {
    await admin.disconnect().catch(() => {});
  }
  await electPreferredLeader(topic, partition);
  await waitForAsync(
    async () => (await partitionLeader(topic, partition).catch(() => -1)) === to,
    timeoutMs,
    `node ${to} to lead ${topic}-${partition}`,
  );
}
