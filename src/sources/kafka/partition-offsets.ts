/**
 * The offsets a direct stream plans with, asked of each partition's leader directly: the end of
 * a partition (ListOffsets "latest"; read_committed, so its last stable offset, as the group
 * consumer sees it) when a batch is planned, its start when a newly assigned partition is
 * placed. One request per leader and topic, each tracked by the BrokerWatch (so a frozen leader
 * is named) and bounded: a plan never waits longer than its budget, and a leader already known
 * not to answer is given only a short wait. A failure is classified (kafka-failures.ts): stale
 * leadership or a moving coordinator refreshes the metadata and retries while the budget lasts;
 * a broker that does not answer is not retried within the plan; a topic the brokers no longer
 * know is reported. Partitions left without an offset are returned as missed, with why: the
 * caller plans nothing for them this time, so they are planned by a later batch.
 */
import type { Kafka } from 'kafkajs';
import { describeError } from '../../errors.js';
import { parseTopicPartitionKey, type TopicPartition, topicPartitionKey } from '../../topic-partition.js';
import { type BrokerWatch, within } from './broker-watch.js';
import { classifyKafkaFailure, type KafkaFailure } from './kafka-failures.js';
import { createKafkajsCluster, type KafkajsCluster, READ_COMMITTED } from './kafkajs-cluster.js';

/** The end of a partition (kafkajs' "latest" timestamp), or its start. */
export type OffsetEnd = 'end' | 'start';

export interface PartitionOffsetsAnswer {
  /** Per partition key: the offset asked for. */
  readonly offsets: Map<string, number>;
  /** Per partition key without an offset this time: why (naming the broker). */
  readonly missed: Map<string, string>;
  /** Topics a broker said it does not know (deleted, or not yet known to every broker). */
  readonly missingTopics: ReadonlySet<string>;
  /** `host:port` of the leaders asked (the brokers the stream uses now). */
  readonly leaders: ReadonlySet<string>;
}

/** kafkajs' metadata: where a node id is (the cluster keeps it; its type declarations do not). */
interface ClusterMetadata {
  readonly brokerPool?: {
    readonly metadata?: { readonly brokers?: readonly { nodeId: number; host: string; port: number }[] };
  };
}

export class PartitionOffsets {
  private cluster: KafkajsCluster | undefined;
  private connecting: Promise<KafkajsCluster> | undefined;
  private readonly topics = new Set<string>();
  /** A request failed in a way a metadata refresh may fix: refresh before the next one. */
  private metadataStale = false;
  /** When the metadata was last refreshed (0: never). */
  private metadataAt = 0;
  private readonly seeds: string;

  constructor(
    private readonly kafka: Kafka | Promise<Kafka>,
    private readonly watch: BrokerWatch,
    brokers: readonly string[],
    private readonly metadataMaxAgeMs: number,
  ) {
    this.seeds = brokers.join(',');
  }

  /**
   * The end (or start) offsets of `parts`, within `budgetMs`. Never throws for a Kafka failure:
   * what could not be had in time is in `missed`.
   */
  async offsets(
    parts: readonly TopicPartition[],
    end: OffsetEnd,
    budgetMs: number,
  ): Promise<PartitionOffsetsAnswer> {
    const deadline = Date.now() + budgetMs;
    const offsets = new Map<string, number>();
    const missed = new Map<string, string>();
    const missingTopics = new Set<string>();
    const leaders = new Set<string>();
    let pending = [...parts];
    const miss = (ps: readonly TopicPartition[], why: string) => {
      for (const p of ps) missed.set(topicPartitionKey(p.topic, p.partition), why);
    };
    let cluster: KafkajsCluster;
    try {
      cluster = await this.connect(deadline);
      await this.refreshMetadata(cluster, pending, deadline);
    } catch (error) {
      const failure = classifyKafkaFailure(error);
      // A topic the brokers no longer know fails the whole metadata request; the cached metadata
      // still serves the other topics.
      if (failure.kind !== 'missing-topic' || !this.cluster) {
        miss(pending, `${this.seeds}: ${describeError(error)}`);
        return { offsets, missed, missingTopics, leaders };
      }
      cluster = this.cluster;
    }
    for (let attempt = 0; pending.length > 0; attempt++) {
      const retry: TopicPartition[] = [];
      const requests: Promise<void>[] = [];
      for (const [topic, byLeader] of this.leadersOf(cluster, pending, retry, miss)) {
        for (const [nodeId, partitions] of byLeader) {
          const address = this.addressOf(cluster, nodeId);
          leaders.add(address);
          const ps = partitions.map((partition) => ({ topic, partition }));
          requests.push(
            this.listOffsets(cluster, nodeId, address, topic, partitions, end, deadline).then(
              (found) => {
                for (const [partition, offset] of found)
                  offsets.set(topicPartitionKey(topic, partition), offset);
              },
              (error: unknown) => {
                const failure = classifyKafkaFailure(error);
                const why = `${address}: ${describeError(error)}`;
                if (retriable(failure)) {
                  this.metadataStale = true;
                  retry.push(...ps);
                  miss(ps, why);
                } else {
                  if (failure.kind === 'missing-topic') missingTopics.add(topic);
                  miss(ps, why);
                }
              },
            ),
          );
        }
      }
      await Promise.all(requests);
      pending = retry;
      const remaining = deadline - Date.now();
      if (pending.length === 0 || remaining <= 0) break;
      // A leader moved, or has none yet (an election): a moment for the metadata to settle.
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, remaining)));
      try {
        await this.refreshMetadata(cluster, pending, deadline);
      } catch (error) {
        if (classifyKafkaFailure(error).kind === 'missing-topic')
          for (const p of pending) missingTopics.add(p.topic);
        break;
      }
    }
    for (const key of offsets.keys()) missed.delete(key);
    // A topic some of whose partitions were answered for exists.
    for (const key of offsets.keys()) missingTopics.delete(parseTopicPartitionKey(key).topic);
    return { offsets, missed, missingTopics, leaders };
  }

  /** Pending partitions by topic, then by leader node id; those without a known leader go to `retry`. */
  private leadersOf(
    cluster: KafkajsCluster,
    pending: readonly TopicPartition[],
    retry: TopicPartition[],
    miss: (ps: readonly TopicPartition[], why: string) => void,
  ): Map<string, Map<string, number[]>> {
    const out = new Map<string, Map<string, number[]>>();
    for (const topic of new Set(pending.map((p) => p.topic))) {
      const wanted = pending.filter((p) => p.topic === topic).map((p) => p.partition);
      let byLeader: Record<string, number[]>;
      try {
        byLeader = cluster.findLeaderForPartitions(topic, wanted);
      } catch (error) {
        // No leader in the metadata (an election in progress): refresh and retry.
        this.metadataStale = true;
        const ps = wanted.map((partition) => ({ topic, partition }));
        retry.push(...ps);
        miss(ps, `no leader known for ${topic}: ${describeError(error)}`);
        continue;
      }
      const led = new Set(Object.values(byLeader).flat());
      const leaderless = wanted.filter((p) => !led.has(p)).map((partition) => ({ topic, partition }));
      if (leaderless.length > 0) {
        this.metadataStale = true;
        retry.push(...leaderless);
        miss(leaderless, `no leader known for ${topic} (${leaderless.map((p) => p.partition).join(', ')})`);
      }
      out.set(topic, new Map(Object.entries(byLeader)));
    }
    return out;
  }

  private async listOffsets(
    cluster: KafkajsCluster,
    nodeId: string,
    address: string,
    topic: string,
    partitions: readonly number[],
    end: OffsetEnd,
    deadline: number,
  ): Promise<Map<number, number>> {
    const patience = this.patience(address, deadline);
    const request = (async () => {
      const broker = await cluster.findBroker({ nodeId });
      return broker.listOffsets({
        isolationLevel: READ_COMMITTED,
        topics: [
          {
            topic,
            partitions: partitions.map((partition) => ({ partition, timestamp: end === 'end' ? -1 : -2 })),
          },
        ],
      });
    })();
    const { responses } = await within(
      this.watch.track('ListOffsets', address, request),
      patience,
      `ListOffsets to ${address}`,
    );
    const found = new Map<number, number>();
    for (const r of responses) {
      if (r.topic !== topic) continue;
      for (const p of r.partitions) found.set(p.partition, Number(p.offset));
    }
    return found;
  }

  /**
   * Refreshes the metadata (one tracked request) when a topic is new to it, after a failure a
   * refresh may fix, and every metadataMaxAgeMs; otherwise the cached metadata serves and nothing
   * is sent (so nothing counts as an answer from the brokers).
   */
  private async refreshMetadata(
    cluster: KafkajsCluster,
    parts: readonly TopicPartition[],
    deadline: number,
  ): Promise<void> {
    const fresh = [...new Set(parts.map((p) => p.topic))].filter((t) => !this.topics.has(t));
    const due =
      this.metadataStale || fresh.length > 0 || Date.now() - this.metadataAt >= this.metadataMaxAgeMs;
    if (!due) return;
    const refresh = async () => {
      // Adding a topic refreshes the metadata by itself.
      for (const topic of fresh) {
        await cluster.addTargetTopic(topic);
        this.topics.add(topic);
      }
      if (fresh.length === 0) await cluster.refreshMetadata();
      this.metadataStale = false;
      this.metadataAt = Date.now();
    };
    const patience = this.patience(this.seeds, deadline);
    await within(
      this.watch.track('Metadata', this.seeds, refresh()),
      patience,
      `Metadata from ${this.seeds}`,
    );
  }

  /**
   * How long to wait for `broker` until `deadline`: a broker known not to answer gets a short
   * wait (it may be back), and none at all while a request of ours to it is still waiting (one
   * more would only pile up behind it).
   */
  private patience(broker: string, deadline: number): number {
    const remaining = Math.max(deadline - Date.now(), 0);
    if (!this.watch.unresponsive(broker)) return remaining;
    if (this.watch.waiting(broker))
      throw Object.assign(new Error(`still waiting for an answer from ${broker}`), { name: 'BrokerTimeout' });
    return Math.min(this.watch.timing.unresponsiveMs, remaining);
  }

  private addressOf(cluster: KafkajsCluster, nodeId: string): string {
    const brokers = (cluster as unknown as ClusterMetadata).brokerPool?.metadata?.brokers;
    const b = brokers?.find((x) => String(x.nodeId) === nodeId);
    return b ? `${b.host}:${b.port}` : `broker ${nodeId}`;
  }

  /** The cluster, connected; one connection attempt at a time, waited for until `deadline`. */
  private connect(deadline: number): Promise<KafkajsCluster> {
    if (this.cluster) return Promise.resolve(this.cluster);
    if (!this.connecting) {
      const connecting = (async () => {
        const cluster = createKafkajsCluster(await this.kafka, this.metadataMaxAgeMs);
        try {
          await cluster.connect();
        } catch (error) {
          this.connecting = undefined;
          await cluster.disconnect().catch(() => {});
          throw error;
        }
        this.cluster = cluster;
        return cluster;
      })();
      this.connecting = this.watch.track('Metadata', this.seeds, connecting);
    }
    return within(this.connecting, Math.max(deadline - Date.now(), 0), `connecting to ${this.seeds}`);
  }

  async close(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    this.connecting = undefined;
    this.topics.clear();
    await cluster?.disconnect().catch(() => {});
  }
}

/** Failures a metadata refresh and another try within the same plan may fix. */
function retriable(failure: KafkaFailure): boolean {
  return failure.kind === 'leadership' || failure.kind === 'coordinator' || failure.kind === 'retriable';
}
