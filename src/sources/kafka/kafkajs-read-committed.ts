/**
 * Makes kafkajs' own consumer filter aborted transactions correctly (see committed-records.ts
 * for its bug): its Batch takes the filter from `kafkajs/src/consumer/filterAbortedMessages`
 * when it is first loaded, so this module, imported before kafkajs by every module of ours that
 * uses it, installs committedRecords in Node's require cache under that path first. If kafkajs
 * was loaded earlier (a job that imports kafkajs before sidestream), the install is too late:
 * `kafkajsFiltersCorrectly()` says so and a starting direct stream emits a process warning once
 * (executor reads are unaffected: KafkaRangeReader filters itself).
 */
import { createRequire, Module } from 'node:module';
import { type AbortedTransaction, committedRecords, type FetchedRecord } from './committed-records.js';

const require = createRequire(import.meta.url);
const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages');
const batchPath = require.resolve('kafkajs/src/consumer/batch');

function filterAbortedMessages({
  messages,
  abortedTransactions,
}: {
  messages: FetchedRecord[];
  abortedTransactions?: AbortedTransaction[];
}): FetchedRecord[] {
  return committedRecords(messages, abortedTransactions);
}

if (require.cache[batchPath] === undefined && require.cache[filterPath] === undefined) {
  const installed = new Module(filterPath);
  installed.filename = filterPath;
  installed.loaded = true;
  installed.exports = filterAbortedMessages;
  require.cache[filterPath] = installed;
}

let verdict: boolean | undefined;

/** Whether kafkajs' consumer drops interleaved aborted transactions (checked once, offline). */
export function kafkajsFiltersCorrectly(): boolean {
  if (verdict !== undefined) return verdict;
  const Batch = require(batchPath) as new (
    topic: string,
    fetchedOffset: string,
    partitionData: unknown,
  ) => { messages: FetchedRecord[] };
  const record = (offset: number, producerId: string): FetchedRecord => ({
    offset: String(offset),
    key: null,
    value: Buffer.from(String(offset)),
    timestamp: '0',
    batchContext: { producerId, inTransaction: true },
  });
  // Two aborted transactions that both started before the first record fetched, which belongs
  // to the second: kafkajs' own filter activates only the first one there and keeps it.
  const batch = new Batch('t', '2', {
    partition: 0,
    highWatermark: '4',
    messages: [record(2, '2'), record(3, '1')],
    abortedTransactions: [
      { producerId: '1', firstOffset: '0' },
      { producerId: '2', firstOffset: '1' },
    ],
  });
  verdict = batch.messages.length === 0;
  return verdict;
}

let warned = false;

/** Once per process: a Node warning (printed on stderr) when kafkajs' consumer kept its own filter. */
export function warnIfKafkajsLeaksAborts(): void {
  if (warned || kafkajsFiltersCorrectly()) return;
  warned = true;
  process.emitWarning(
    "kafkajs was loaded before sidestream, so its consumer keeps its own read_committed filter, which lets records of interleaved aborted transactions through; import 'sidestream' before 'kafkajs' in the job module",
    { code: 'SIDESTREAM_KAFKAJS_READ_COMMITTED' },
  );
}
