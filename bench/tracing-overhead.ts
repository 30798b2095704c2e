/**
 * Cost of the OpenTelemetry tracing listener (src/telemetry/tracing.ts): the same small batches
 * (queueStream, 8 tasks of 250 records, one output operation) on a manual clock with tracing off,
 * on without an SDK (the API's no-op, the default for users who register none), and on with an
 * in-memory SDK. Rounds alternate the modes; the medians are printed. Asserts nothing.
 *
 *   npx tsx bench/tracing-overhead.ts [batches-per-round = 400] [rounds = 7]
 */
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { manualRound } from './manual-round.js';

const BATCHES = Number(process.argv[2] ?? 400);
const ROUNDS = Number(process.argv[3] ?? 7);
const TASKS = 8;
const RECORDS = 2000;

type Mode = 'off' | 'no-sdk' | 'sdk';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

async function round(mode: Mode): Promise<number> {
  trace.disable();
  if (mode === 'sdk') trace.setGlobalTracerProvider(provider);
  const data = Array.from({ length: BATCHES }, () => Array.from({ length: RECORDS }, (_, i) => i));
  const { startMs, endMs } = await manualRound(
    { appName: 'bench', defaultParallelism: TASKS, tracing: mode !== 'off' },
    BATCHES,
    (ssc) =>
      ssc.queueStream(data).foreachRDD(async (rdd) => {
        await rdd.count();
      }),
    (b) => {
      if (mode === 'sdk' && b % 50 === 0) exporter.reset();
    },
  );
  exporter.reset();
  return (endMs - startMs) / BATCHES;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const results: Record<Mode, number[]> = { off: [], 'no-sdk': [], sdk: [] };
await round('off'); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of ['off', 'no-sdk', 'sdk'] as const) results[mode].push(await round(mode));
}
trace.disable();
await provider.shutdown();
const base = median(results.off);
for (const mode of ['off', 'no-sdk', 'sdk'] as const) {
  const m = median(results[mode]);
  const delta = mode === 'off' ? '' : ` (${m >= base ? '+' : ''}${(((m - base) / base) * 100).toFixed(1)}%)`;
  console.log(`tracing ${mode.padEnd(6)}: ${(m * 1000).toFixed(0)} µs per batch${delta}`);
}
console.log(`${BATCHES} batches x ${ROUNDS} rounds, ${TASKS} tasks of ${RECORDS / TASKS} records each`);
