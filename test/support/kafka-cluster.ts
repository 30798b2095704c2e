/**
 * The 3-broker KRaft test cluster that `scripts/services.sh up kafka-cluster` starts beside the
 * single broker (docs/services.md): its addresses, the check a test file makes before using it,
 * clients and replicated topics on it, and where its nodes keep their pid files and logs.
 *
 *   const hasCluster = await requireKafkaCluster();
 *   describe.runIf(hasCluster)('...', () => { ... clusterBrokers() ... });
 *
 * Like requireKafka: under CI=true an unreachable cluster fails the file, otherwise it is skipped.
 * Stopping, freezing and restarting a node is in cluster-brokers.ts, moving a partition's leader
 * in partition-leaders.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { clusterHeldByOther, LOCK_WAIT_MS } from './cluster-lock.js';
import { nodeMetadata } from './node-metadata.js';
import { requireService } from './services.js';
import { waitForAsync } from './wait-for-async.js';

/** The cluster's node ids; each node is a broker and a KRaft controller. */
export const CLUSTER_NODE_IDS: readonly number[] = [1, 2, 3];

/**
 * The host the cluster's NETNS listeners advertise: no interface has it. Inside a test's network
 * namespace a DNAT rule sends it to the namespace's veth peer (network-namespace.ts). The same
 * value is CLUSTER_NETNS_HOST in scripts/services.sh.
 */
export const CLUSTER_NETNS_HOST = '10.251.255.254';

/** `127.0.0.1:<port>` of node `nodeId`'s client listener (19092 for node 1). */
export function clusterBrokerAddress(nodeId: number): string {
  return `127.0.0.1:${19091 + nodeId}`;
}

/** Port of node `nodeId`'s NETNS listener on 127.0.0.1 (19292 for node 1). */
export function clusterNetnsPort(nodeId: number): number {
  return 19291 + nodeId;
}

/** The bootstrap list for clients on this machine: every node's client listener. */
export function clusterBrokers(): string[] {
  return CLUSTER_NODE_IDS.map(clusterBrokerAddress);
}

/** The bootstrap list for clients inside a test's network namespace (network-namespace.ts). */
export function clusterNetnsBrokers(): string[] {
  return CLUSTER_NODE_IDS.map((id) => `${CLUSTER_NETNS_HOST}:${clusterNetnsPort(id)}`);
}

/** Where services.sh keeps the cluster: `$SIDESTREAM_RUN/kafka-cluster`. */
export function clusterRunDir(): string {
  return join(process.env.SIDESTREAM_RUN || '/tmp/sidestream-services', 'kafka-cluster');
}

/** Node `nodeId`'s directory: server.properties, kafka.pid, kafka.log and the log dir `data/`. */
export function clusterNodeDir(nodeId: number): string {
  return join(clusterRunDir(), `broker-${nodeId}`);
}

/** The cache services.sh resolves Kafka's jars into: `$SIDESTREAM_CACHE`, default ~/.cache/sidestream. */
export function kafkaCacheDir(): string {
  return process.env.SIDESTREAM_CACHE || join(homedir(), '.cache', 'sidestream');
}

/** A kafkajs client for the cluster, quiet unless something goes wrong. */
export function newClusterKafka(clientId: string, config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: clusterBrokers(),
    logLevel: logLevel.ERROR,
    connectionTimeout: 3000,
    ...config,
  });
}

/**
 * Resolves when every node answers a metadata request, on its own, that lists all the cluster's
 * brokers: each node is up and the controller quorum has registered all of them.
 */
export async function probeKafkaCluster(): Promise<void> {
  for (const address of clusterBrokers()) {
    const admin = new Kafka({
      clientId: 'sidestream-test-cluster-probe',
      brokers: [address],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 200 },
    }).admin();
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      if (brokers.length < CLUSTER_NODE_IDS.length) {
        throw new Error(`${address} lists ${brokers.length} live brokers, not ${CLUSTER_NODE_IDS.length}`);
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
}

let clusterProbe: Promise<boolean> | undefined;

/**
 * True when all three nodes answer with all three brokers live. Under CI=true a cluster that does
 * not throws instead (the file fails). The probe runs once per test file (module instance).
 */
export function requireKafkaCluster(): Promise<boolean> {
  clusterProbe ??= requireService('Kafka cluster', clusterBrokers().join(','), probeWhileHeld);
  return clusterProbe;
}

/**
 * The probe, retried while another test file holds the cluster (cluster-lock.ts): test files
 * load in parallel, and one file's drill may have a node down or frozen when another probes.
 */
async function probeWhileHeld(): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await probeKafkaCluster();
      return;
    } catch (error) {
      if (Date.now() > deadline || !(await clusterHeldByOther())) throw error;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/**
 * Creates `name` on the cluster with `partitions` partitions, three replicas by default (and the
 * cluster's min.insync.replicas of 2), and waits until every node that answers knows a leader for
 * each partition: right after a creation, or after a node restarted, a node's metadata cache may
 * not have the topic yet, and a client that asks that node would see UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function createClusterTopic(
  name: string,
  partitions: number,
  replicationFactor = 3,
): Promise<string> {
  const admin = newClusterKafka('sidestream-test-cluster-admin').admin();
  await admin.connect();
  try {
    // Not kafkajs' waitForLeaders: it gives up on the UNKNOWN_TOPIC_OR_PARTITION a node answers
    // before it has learned the topic. The wait below asks every node instead.
    const created = await admin.createTopics({
      topics: [{ topic: name, numPartitions: partitions, replicationFactor }],
      timeout: 10_000,
      waitForLeaders: false,
    });
    if (!created) throw new Error(`topic ${name} already exists`);
  } finally {
    await admin.disconnect();
  }
  await waitForAsync(
    async () => {
      for (const address of clusterBrokers()) {
        const metadata = await nodeMetadata(address, [name], 2000).catch(() => undefined);
        if (metadata === undefined) continue; // down or frozen: it learns the topic when it is back
        const topic = metadata.topics[0];
        if (topic?.errorCode !== 0 || topic.partitions.length !== partitions) return false;
        if (topic.partitions.some((p) => p.errorCode !== 0 || p.leader < 0)) return false;
      }
      return true;
    },
    30_000,
    `every node of the cluster to know the leaders of ${name}`,
  );
  return name;
}
