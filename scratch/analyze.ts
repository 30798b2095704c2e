import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newClusterKafka } from '../test/support/kafka-cluster.js';
import { readTopicRecords } from '../test/support/topic-records.js';
const [inTopic, outTopic, dir] = process.argv.slice(2) as [string, string, string];
const kafka = newClusterKafka('analyze');
const input = await readTopicRecords(kafka, inTopic);
const out = new Set((await readTopicRecords(kafka, outTopic)).map((r) => r.value));
const missing = input.filter((r) => !out.has(r.value));
const byPart = new Map<number, number[]>();
for (const m of missing) byPart.set(m.partition, [...(byPart.get(m.partition) ?? []), m.offset]);
const batches: any[] = [];
for (const a of readdirSync(dir)) for (const f of readdirSync(join(dir, a)).filter((f) => f.startsWith('batches'))) {
  for (const line of readFileSync(join(dir, a, f), 'utf8').split('\n').filter(Boolean)) { const b = JSON.parse(line); b.agent = `${a}/${f}`; batches.push(b); }
}
for (const [p, offs] of [...byPart].sort((x, y) => x[0] - y[0])) {
  offs.sort((a, b) => a - b);
  console.log(`partition ${p}: ${offs.length} missing, ${offs[0]}..${offs.at(-1)}`);
  const first = offs[0]!;
  for (const b of batches) {
    const ranges = b.inputs?.flatMap((i: any) => i.metadata?.offsetRanges ?? i.offsetRanges ?? []) ?? b.offsetRanges ?? [];
    for (const r of ranges) if (r.partition === p && r.fromOffset <= first + 50 && r.untilOffset >= first - 50)
      console.log(`   ${b.agent} batch ${b.batchTime} ${b.outcome} [${r.fromOffset},${r.untilOffset}) records ${b.numRecords}`);
  }
}
