/**
 * A job without Kafka never loads kafkajs: a fresh process imports sidestream (the built
 * package, as users do), runs a few batches of a generator stream, and lists the kafkajs files
 * Node's module cache holds. Only the read_committed filter sidestream places there itself (a
 * module object, not a file kafkajs loaded) may appear. The same process then imports kafkajs, to
 * show the check sees it when it is loaded.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const SCRIPT = `
import { createRequire } from 'node:module';
import { StreamingContext } from 'sidestream';
const kafkajsFiles = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('/node_modules/kafkajs/'));
const ssc = new StreamingContext({ appName: 'no-kafka', batchIntervalMs: 50, tracing: false });
let batches = 0;
ssc.generatorStream({ ratePerSec: 1000, keys: 3 }).map((e) => [e.key, 1]).reduceByKey((a, b) => a + b)
  .foreachRDD(async (rdd) => { await rdd.collect(); batches++; });
await ssc.start();
while (batches < 3) await new Promise((r) => setTimeout(r, 20));
await ssc.stop({ graceful: true });
const before = kafkajsFiles();
await import('kafkajs');
console.log(JSON.stringify({ batches, before, after: kafkajsFiles().length }));
`;

describe('a job without Kafka', () => {
  it('never loads kafkajs (importing sidestream and running batches)', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      batches: number;
      before: string[];
      after: number;
    };
    expect(result.batches).toBeGreaterThanOrEqual(3);
    expect(result.before.filter((p) => !p.endsWith('/consumer/filterAbortedMessages.js'))).toEqual([]);
    // The check is real: once kafkajs is imported, its files are there.
    expect(result.after).toBeGreaterThan(20);
  });
});
