/**
 * How a direct stream's batch reads its planned ranges: the batch's RDD, whose partition `p`
 * reads `ranges[p]` in-process (from the group consumer's buffer, or on demand with the range
 * reader when executors read) and decodes it, or is read by an executor worker (remoteRead on the
 * driver's RDD: describe the range, accept what the worker hands back); and, in the worker, the
 * RDD that does that read (KafkaRddReads.remoteRead). Either way the driver keeps each
 * partition's event times and trace links, and dead-letters and reports rejected records once
 * across task retries. docs/design/executors.md describes the worker side.
 */
import type { InputBatch, RemoteReadRdd } from '../../dstream/input-source.js';
import type { RddEnv } from '../../dstream/rdd.js';
import { SidestreamError } from '../../errors.js';
import type { PartitionLag } from '../../events/index.js';
import type { OffsetRange } from '../../topic-partition.js';
import type { DeadLetters } from './dead-letters.js';
import {
  type Decode,
  type DecodedRange,
  decodeInParts,
  decodeRange,
  defaultDecode,
  joinEventTimes,
} from './decode-range.js';
import type { DirectStreamEvents } from './direct-stream-events.js';
import type { KafkaDirectStreamOptions } from './kafka-direct-stream-options.js';
import type { KafkaRangeReader, OffsetsDeleted } from './kafka-range-reader.js';
import { KafkaRDD } from './kafka-rdd.js';
import type { KafkaRecord, RawKafkaMessage } from './kafka-record.js';
import type { PartitionTable } from './partition-table.js';
import { KafkaBatchRecord } from './record-batch/kafka-batch-record.js';
import { reviveRawMessage } from './revive-raw-message.js';

/** What a worker reads for one partition of a batch (RemoteRead.describe). */
interface RangeReadRequest {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly untilOffset: number;
  /** Offsets an earlier attempt already rejected and the driver dead-lettered and reported. */
  readonly handled: readonly number[];
}

/** What a worker's read of one partition produced besides records (RemoteRead.accept). */
interface RangeReadOutput {
  readonly eventTimes: Float64Array;
  readonly links: string[];
  readonly rejected: { raw: RawKafkaMessage; error: { name: string; message: string } }[];
  /** Retention had deleted the start of the range (the driver reports it). */
  readonly deleted?: OffsetsDeleted;
}

/** What the reads work with on the driver (a worker's copy only needs the reader). */
export interface ReadPeers {
  readonly table: PartitionTable;
  readonly events: DirectStreamEvents;
  readonly deadLetters: DeadLetters;
  /** The direct range reader (GroupMembership.reader). */
  reader(): KafkaRangeReader;
  /** Executors read the ranges: nothing is fetched ahead on the driver, a task reads on demand. */
  onDemand(): boolean;
}

export class KafkaRddReads<V> {
  constructor(
    private readonly name: string,
    private readonly options: Pick<
      KafkaDirectStreamOptions<V>,
      'decode' | 'eventTime' | 'fetchTimeoutMs' | 'groupId'
    >,
    private readonly peers: ReadPeers,
  ) {}

  private get decode(): Decode<V> {
    return this.options.decode ?? (defaultDecode as unknown as Decode<V>);
  }

  private get timeoutMs(): number {
    return this.options.fetchTimeoutMs ?? 30_000;
  }

  /** The batch that reads `ranges`, with the consumer lag measured when they were planned. */
  batch(
    env: RddEnv,
    ranges: readonly OffsetRange[],
    lag: readonly PartitionLag[],
  ): InputBatch<KafkaRecord<V>> {
    const { table, deadLetters } = this.peers;
    const decode = this.decode;
    const timeoutMs = this.timeoutMs;
    // Per partition: its range, its buffer (none once revoked) and the offsets whose rejection
    // an earlier attempt of the same task already dead-lettered and reported (a retried task
    // must not send or count them twice).
    const parts = ranges.map((r) => ({ r, buffer: table.get(r)?.buffer, handled: new Set<number>() }));
    const partitionAt = (p: number) => {
      const part = parts[p];
      if (!part) throw new RangeError(`${this.name} has no partition ${p} (it has ${parts.length})`);
      return part;
    };
    // Event times of the records each partition read (its latest attempt): the batch's
    // event-time lag, measured once the tasks have run.
    const eventTimes: (Float64Array | undefined)[] = ranges.map(() => undefined);
    // A few `traceparent` headers per partition (its latest attempt) for the batch span's links:
    // one header lookup per record, and no allocation once the bound is reached.
    const traceparents: (string[] | undefined)[] = ranges.map(() => undefined);
    const eventTime = this.options.eventTime;
    const revoked = (r: OffsetRange) =>
      new SidestreamError(
        'SS_PARTITION_REVOKED',
        `${this.name} partition ${r.topic}-${r.partition} was revoked before its range was read; the batch is planned again without it`,
      );
    const rdd = new KafkaRDD<V>(
      env,
      ranges,
      async (p, sink) => {
        const { r, buffer, handled } = partitionAt(p);
        if (!buffer) throw revoked(r);
        const onDemand = this.peers.onDemand();
        // Reading on demand nothing was fetched ahead: a partition revoked since planning is
        // another agent's now (the buffer path fails the same way once its data is missing).
        if (onDemand && !table.has(r)) throw revoked(r);
        const options = { decode, eventTime, handled };
        const decoded = onDemand
          ? await this.readOnDemand(r, timeoutMs, decodeInParts(r.topic, r.partition, options, sink))
          : decodeRange(
              await buffer.read(r.fromOffset, r.untilOffset, timeoutMs),
              r.topic,
              r.partition,
              options,
              sink,
            );
        eventTimes[p] = decoded.eventTimes;
        traceparents[p] = decoded.links;
        if (decoded.rejected.length > 0) await deadLetters.reject(r, decoded.rejected, handled);
      },
      this.name,
    );
    // Executor workers read a range themselves (remoteRead below) and hand back what this
    // compute would have kept: event times, trace links, rejected records.
    rdd.remoteRead = {
      describe: (p): RangeReadRequest => {
        const { r, buffer, handled } = partitionAt(p);
        // A partition revoked since planning is another agent's now: reading it here would
        // duplicate its output there.
        if (!buffer || !table.has(r)) throw revoked(r);
        return { ...r, handled: [...handled] };
      },
      accept: async (p, data) => {
        const { r, handled } = partitionAt(p);
        const out = data as RangeReadOutput;
        if (out.deleted) this.reportDeleted(r, out.deleted);
        eventTimes[p] = out.eventTimes;
        traceparents[p] = out.links;
        if (out.rejected.length > 0) {
          const rejected = out.rejected.map(({ raw, error }) => ({
            raw: reviveRawMessage(raw),
            error: Object.assign(new Error(error.message), { name: error.name }),
          }));
          await deadLetters.reject(r, rejected, handled);
        }
      },
    };
    const numRecords = ranges.reduce((n, r) => n + (r.untilOffset - r.fromOffset), 0);
    const collectEventTimes = () => {
      const parts = eventTimes.filter((t): t is Float64Array => t !== undefined);
      return parts.length === 0 ? undefined : joinEventTimes(parts);
    };
    const collectTraceparents = () => traceparents.flatMap((t) => t ?? []);
    return {
      rdd,
      numRecords,
      metadata: { offsetRanges: ranges, consumerLag: lag },
      eventTimesMs: collectEventTimes,
      traceparents: collectTraceparents,
      consumerGroup: this.options.groupId,
    };
  }

  /** A range read on the driver while executors read the others (a task that runs in-process). */
  private async readOnDemand(
    r: OffsetRange,
    timeoutMs: number,
    decoding: ReturnType<typeof decodeInParts<V>>,
  ): Promise<DecodedRange> {
    const { deleted } = await this.peers
      .reader()
      .readEach(r.topic, r.partition, r.fromOffset, r.untilOffset, timeoutMs, decoding.part);
    if (deleted) this.reportDeleted(r, deleted);
    return decoding.done();
  }

  /** Retention deleted `[storedOffset, resetTo)` of a range before it was read. */
  private reportDeleted(r: OffsetRange, deleted: OffsetsDeleted): void {
    this.peers.events.offsetsReset(r, { cause: 'deleted', ...deleted });
  }

  /**
   * In an executor worker (this copy of the source is never started): a batch's Kafka input
   * whose partitions this worker reads itself, exactly the ranges the driver planned, over its
   * own connection to each partition's leader (KafkaRangeReader). The records never pass
   * through the driver; what the driver still needs (event times, trace links, rejected
   * records to dead-letter and report) goes back as the partitions' side outputs.
   */
  remoteRead(
    env: RddEnv,
    numPartitions: number,
    reads: Readonly<Record<number, unknown>>,
  ): RemoteReadRdd<KafkaRecord<V>> {
    const decode = this.decode;
    const eventTime = this.options.eventTime;
    const timeoutMs = this.timeoutMs;
    const reader = this.peers.reader();
    const outputs = new Map<number, RangeReadOutput>();
    // This worker reads only the partitions in `reads`; their ranges, in partition order.
    const ranges = Object.values(reads).map((r) => {
      const { topic, partition, fromOffset, untilOffset } = r as RangeReadRequest;
      return { topic, partition, fromOffset, untilOffset };
    });
    const rdd = new KafkaRDD<V>(
      env,
      ranges,
      async (p, sink) => {
        const r = reads[p] as RangeReadRequest | undefined;
        if (!r) return;
        // A range whose start retention deleted is read from the earliest retained offset; the
        // driver reports the gap (offsets-reset).
        const decoding = decodeInParts(
          r.topic,
          r.partition,
          { decode, eventTime, handled: new Set(r.handled), cloneable: true },
          sink,
        );
        const { deleted } = await reader.readEach(
          r.topic,
          r.partition,
          r.fromOffset,
          r.untilOffset,
          timeoutMs,
          decoding.part,
        );
        const decoded = decoding.done();
        outputs.set(p, {
          eventTimes: decoded.eventTimes,
          links: decoded.links,
          rejected: decoded.rejected.map(({ raw, error }) => ({
            // Own fields only: the record goes to the driver as a structured clone.
            raw: raw instanceof KafkaBatchRecord ? raw.toMessage() : raw,
            error:
              error instanceof Error
                ? { name: error.name, message: error.message }
                : { name: typeof error, message: String(error) },
          })),
          ...(deleted ? { deleted } : {}),
        });
      },
      this.name,
      numPartitions,
    );
    return { rdd, sideOutputs: () => [...outputs].map(([partition, data]) => ({ partition, data })) };
  }
}
