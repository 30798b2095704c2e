/**
 * The bundled demo job (`sidestream demo`): synthetic keyed events from generatorStream, per-key
 * counts per batch and a sliding window over them (reduceByKeyAndWindow with an inverse), and
 * one compact line per batch on the context's output, for example
 * `batch 04:40:01.000 records=2000 keys=10 top=key-3:212 window10s=20000 sched=1ms proc=4ms lag(avg)=610ms`.
 */
import type { CompletedBatchRecord } from '../events/index.js';
import type { StreamingContext } from '../streaming-context.js';
import { formatDurationMs } from '../time.js';

const TARGET_WINDOW_MS = 10_000;

interface BatchSummary {
  keys: number;
  top: [string, number] | undefined;
  windowTotal: number;
}

export default function demoJob(ssc: StreamingContext): void {
  // The window must be a multiple of the batch interval: take the nearest one of at least 10s.
  const windowMs = Math.ceil(TARGET_WINDOW_MS / ssc.batchIntervalMs) * ssc.batchIntervalMs;
  const counts = ssc
    .generatorStream({ ratePerSec: 2000, keys: 10, eventTimeLagMs: 500, eventTimeJitterMs: 200 })
    .map((e): [string, number] => [e.key, 1])
    .reduceByKey((a, b) => a + b);
  const windowed = counts.reduceByKeyAndWindow(
    (a, b) => a + b,
    windowMs,
    ssc.batchIntervalMs,
    (a, b) => a - b,
    { filter: ([, n]) => n > 0 },
  );

  // Both outputs run inside the batch; the line needs the batch's delays too, which are known
  // only once it completes, so the outputs leave their part here and a listener prints it.
  const pending = new Map<number, BatchSummary>();
  const summary = (t: number) => {
    let s = pending.get(t);
    if (!s) {
      s = { keys: 0, top: undefined, windowTotal: 0 };
      pending.set(t, s);
    }
    return s;
  };
  counts.foreachRDD(async (rdd, t) => {
    const rows = await rdd.collect();
    const s = summary(t);
    s.keys = rows.length;
    for (const row of rows) if (!s.top || row[1] > s.top[1]) s.top = row;
  });
  windowed.foreachRDD(async (rdd, t) => {
    let total = 0;
    for (const [, n] of await rdd.collect()) total += n;
    summary(t).windowTotal = total;
  });
  const windowLabel = `window${formatDurationMs(windowMs)}`;
  ssc.addStreamingListener({
    onBatchCompleted(batch) {
      const s = pending.get(batch.batchTime) ?? { keys: 0, top: undefined, windowTotal: 0 };
      pending.delete(batch.batchTime);
      ssc.writeOutput(`${formatBatchLine(batch, s, windowLabel)}\n`);
    },
  });
}

function formatBatchLine(batch: CompletedBatchRecord, s: BatchSummary, windowLabel: string): string {
  const lag = batch.inputs[0]?.eventTimeLagMs;
  const parts = [
    `batch ${clockTime(batch.batchTime)}`,
    `records=${batch.numRecords}`,
    `keys=${s.keys}`,
    `top=${s.top ? `${s.top[0]}:${s.top[1]}` : '-'}`,
    `${windowLabel}=${s.windowTotal}`,
    `sched=${formatDurationMs(batch.schedulingDelayMs)}`,
    `proc=${formatDurationMs(batch.processingDelayMs)}`,
    `lag(avg)=${lag ? formatDurationMs(lag.avg) : '-'}`,
  ];
  if (batch.outcome === 'failed') parts.push('FAILED');
  return parts.join(' ');
}

/** HH:MM:SS.mmm in local time: batch times are what a person watching the terminal compares. */
function clockTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
