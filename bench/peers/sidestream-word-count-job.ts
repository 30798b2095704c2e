/**
 * The sidestream peer of bench/peers.ts, run by the real agent (`sidestream run <this file>`,
 * with or without `--executors 0`): the word count a user would write, over the direct Kafka
 * stream of PEER_TOPIC from the earliest offset. A listener adds up the batches' input records
 * and reports once they reach PEER_RECORDS; the clock runs from the first records in hand (the
 * source's first fetch holding records, or the first batch holding records starting, whichever
 * is first: with executors the workers read the ranges during the batch) to the end of the
 * batch that brought them to PEER_RECORDS.
 */
import { isMainThread } from 'node:worker_threads';
import type { StreamingContext } from '../../src/index.js';
import { peerEnv, peerReporter } from './peer-report.js';

export default function job(ssc: StreamingContext): void {
  const stream = ssc.kafkaDirectStream({
    brokers: peerEnv('PEER_BROKERS').split(','),
    topics: [peerEnv('PEER_TOPIC')],
    groupId: peerEnv('PEER_GROUP'),
    startingOffsets: peerEnv('PEER_START') === 'latest' ? 'latest' : 'earliest',
  });
  let words = 0;
  let letters = 0;
  stream
    .flatMap((r) => (r.value ?? '').split(' '))
    .map((word): [string, number] => [word, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(async (rdd) => {
      for (const [word, n] of await rdd.collect()) {
        words += n;
        letters += n * word.length;
      }
    });
  // Executor workers import this job too, to declare the same graph; only the main thread reports.
  if (!isMainThread) return;

  const reporter = peerReporter();
  let firstMs = Number.POSITIVE_INFINITY;
  // The source's eachBatch handler (src/sources/kafka/group-membership.ts) is private, as in
  // bench/kafka-throughput.ts; if it moves, the first batch's start is the only clock start.
  const membership = (stream as unknown as { source?: { membership?: Record<string, unknown> } }).source
    ?.membership;
  const handler = membership?.onFetched;
  if (membership && typeof handler === 'function') {
    membership.onFetched = async (payload: { batch: { messages: unknown[] } }) => {
      if (payload.batch.messages.length > 0) firstMs = Math.min(firstMs, Date.now());
      return handler.call(membership, payload);
    };
  }
  let records = 0;
  const expected = Number(peerEnv('PEER_RECORDS'));
  ssc.addStreamingListener({
    onBatchCompleted: (b) => {
      reporter.batch({
        batchTime: b.batchTime,
        records: b.numRecords,
        schedulingDelayMs: b.schedulingDelayMs,
        totalDelayMs: b.totalDelayMs,
      });
      if (b.numRecords === 0) return;
      if (b.outcome !== 'succeeded') {
        reporter.failed(`batch ${b.batchTime}: ${b.outcome}`);
        return;
      }
      firstMs = Math.min(firstMs, b.processingStartTime);
      records += b.numRecords;
      if (expected > 0 && records >= expected) {
        reporter.done({ records, words, letters, firstMs, lastMs: b.processingEndTime });
      }
    },
  });
}
