import { newClusterKafka } from '../test/support/kafka-cluster.js';
import { readTopicRecords } from '../test/support/topic-records.js';
const topic = process.argv[2]!;
const kafka = newClusterKafka('check-out');
const ours = await readTopicRecords(kafka, topic);
const oursVals = new Set(ours.map(r => r.value));
// raw: read_uncommitted via kafkajs consumer
const seen = new Map<string, number>();
const consumer = kafka.consumer({ groupId: `chk-${Date.now()}`, readUncommitted: true });
await consumer.connect();
await consumer.subscribe({ topics: [topic], fromBeginning: true });
const admin = kafka.admin(); await admin.connect();
const ends = await admin.fetchTopicOffsets(topic);
const total = ends.reduce((a, o) => a + Number(o.high) - Number(o.low), 0);
let n = 0;
await new Promise<void>((resolve) => {
  consumer.run({ eachMessage: async ({ message }) => { n++; const v = message.value?.toString() ?? ''; seen.set(v, (seen.get(v) ?? 0) + 1); } });
  setTimeout(resolve, 15000);
});
await consumer.disconnect(); await admin.disconnect();
console.log({ ours: ours.length, oursUnique: oursVals.size, uncommittedMsgs: n, offsetsTotal: total, uncommittedUnique: seen.size });
for (const v of ['2352','2376','3168','1057']) console.log(v, 'ours', oursVals.has(v), 'raw', seen.get(v));
