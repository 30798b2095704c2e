/**
 * Telemetry overhead: the same pipeline as bench/throughput.ts (queueStream, map, filter,
 * reduceByKey, collect) with records that carry an event time, run with ALL telemetry on and
 * with all of it off, interleaved in every round (the order alternates between rounds), so a busy
 * neighbour slows both sides of a round alike. "On" is everything the agent runs:
 * the MetricsPipeline (the PrometheusListener on a MetricsRegistry, process metrics included, and
 * the GraphiteExporter sending each batch's snapshot to a local UDP sink: a bound socket that
 * reads and drops), the tracing listener on
 * the OpenTelemetry API (no SDK registered, as in the agent by default) and the JSONL batch log.
 * "Off" is `tracing: false`, no listener, no batch log.
 * The figure is the per-round ratio on/off of records/s, reported as min and median, twice: by
 * wall time, and by the CPU time the process used (user + system, all threads: the batch log's
 * file writes included) over the same interval, which a busy neighbour on a shared machine
 * disturbs much less than wall time.
 *
 * Every round also runs a control: "off" a second time, compared with "off" exactly as "on" is.
 * Its ratio would be 1 on a perfect machine; its spread is the benchmark's own resolution (most
 * likely the garbage collector's timing, which moves a one-second run by several percent), so a
 * difference between on and off smaller than the control's distance from 1 is not a
 * measurement. The three variants take turns at each position in the round (off, on, control;
 * on, control, off; control, off, on).
 */
import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GraphiteExporter } from '../src/telemetry/exporters/graphite/graphite-exporter.js';
import { MetricsPipeline } from '../src/telemetry/metrics-pipeline.js';
import { MetricsRegistry } from '../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../src/telemetry/prometheus-listener.js';
import { type KeyedRecord, keyedSum } from './keyed-sum.js';
import { manualRound } from './manual-round.js';
import { median } from './stats.js';

export interface TelemetryOverheadOptions {
  readonly batches: number;
  readonly batchSize: number;
  readonly keys: number;
  readonly rounds: number;
  readonly warmupRounds: number;
  readonly partitions: number;
}

export interface RatioFigures {
  readonly offRates: readonly number[];
  readonly onRates: readonly number[];
  /** on / off of each measured round. */
  readonly ratios: readonly number[];
  readonly minRatio: number;
  readonly medianRatio: number;
  readonly medianOffRate: number;
  readonly medianOnRate: number;
}

export interface TelemetryOverheadResult {
  readonly recordsPerRound: number;
  /** records per second of wall time. */
  readonly wall: RatioFigures;
  /** records per second of process CPU time. */
  readonly cpu: RatioFigures;
  /**
   * Median over rounds of the CPU time telemetry adds per batch, in ms: records per batch x
   * (1 / on rate - 1 / off rate) by CPU time. Telemetry works per batch, so this, not the ratio,
   * is what carries over to other batch sizes.
   */
  readonly cpuMsPerBatch: number;
  /** Datagrams the UDP sink received over the whole run (proof that Graphite really sent). */
  readonly graphiteDatagrams: number;
  /**
   * The control: a second "off" run per round, as `onRates`, against the same "off" runs. Its
   * ratios show how far from 1 a ratio lands with no difference at all.
   */
  readonly control: { readonly wall: RatioFigures; readonly cpu: RatioFigures };
}

interface Rec extends KeyedRecord {
  readonly eventTime: number;
}

function makeBatches(batches: number, batchSize: number, keys: number): Rec[][] {
  const names = Array.from({ length: keys }, (_, k) => `k${k}`);
  return Array.from({ length: batches }, (_, b) =>
    Array.from({ length: batchSize }, (_, i) => ({
      key: names[i % keys]!,
      value: b * batchSize + i,
      // Spread over the batch interval, a minute before it: every lag bucket path is real work.
      eventTime: (b + 1) * 1000 - 60_000 - (i % 1000),
    })),
  );
}

async function round(
  batches: readonly Rec[][],
  partitions: number,
  telemetry: { sinkPort: number; dir: string } | undefined,
): Promise<{ rate: number; cpuRate: number; checksum: number }> {
  const metrics = telemetry ? new MetricsRegistry('bench-telemetry') : undefined;
  let pipeline: MetricsPipeline | undefined;
  let checksum = 0;
  const { startMs, endMs, cpu, records } = await manualRound(
    {
      appName: 'bench-telemetry',
      defaultParallelism: partitions,
      retainedBatches: batches.length,
      tracing: telemetry !== undefined,
      ...(telemetry ? { batchLogPath: join(telemetry.dir, `batches-${performance.now()}.jsonl`) } : {}),
      ...(metrics ? { metricsRegistry: metrics } : {}),
    },
    batches.length,
    (ssc) => {
      if (telemetry && metrics) {
        pipeline = new MetricsPipeline({
          registry: metrics.registry,
          app: 'bench-telemetry',
          applying: new PrometheusListener(metrics.registry, ssc, 'bench'),
          exporters: [
            new GraphiteExporter({
              app: 'bench-telemetry',
              registry: metrics.registry,
              target: { protocol: 'udp', host: '127.0.0.1', port: telemetry.sinkPort },
            }),
          ],
        });
        ssc.addStreamingListener(pipeline);
      }
      keyedSum(ssc.queueStream(batches.slice(), { eventTime: (r) => r.eventTime }), (v) => {
        checksum += v;
      });
    },
  );
  await pipeline?.stop();
  const bad = records.find((b) => b.outcome !== 'succeeded');
  if (bad) throw new Error(`batch ${bad.batchTime} failed: ${JSON.stringify(bad)}`);
  const count = batches.length * batches[0]!.length;
  return {
    rate: count / ((endMs - startMs) / 1000),
    cpuRate: count / ((cpu.user + cpu.system) / 1e6),
    checksum,
  };
}

export async function measureTelemetryOverhead(
  options: TelemetryOverheadOptions,
  progress: (line: string) => void = () => {},
): Promise<TelemetryOverheadResult> {
  const batches = makeBatches(options.batches, options.batchSize, options.keys);
  const sink = dgram.createSocket('udp4');
  let datagrams = 0;
  sink.on('message', () => {
    datagrams++;
  });
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const sinkPort = sink.address().port;
  const dir = await mkdtemp(join(tmpdir(), 'sidestream-bench-telemetry-'));
  const wall = { off: [] as number[], on: [] as number[], control: [] as number[] };
  const cpu = { off: [] as number[], on: [] as number[], control: [] as number[] };
  const variants = ['off', 'on', 'control'] as const;
  try {
    const total = options.warmupRounds + options.rounds;
    for (let r = 0; r < total; r++) {
      const warmup = r < options.warmupRounds;
      const order = [0, 1, 2].map((i) => variants[(i + r) % 3] as (typeof variants)[number]);
      const rates = { on: 0, off: 0, control: 0 };
      const cpuRates = { on: 0, off: 0, control: 0 };
      let checksum: number | undefined;
      for (const variant of order) {
        const result = await round(
          batches,
          options.partitions,
          variant === 'on' ? { sinkPort, dir } : undefined,
        );
        checksum ??= result.checksum;
        if (result.checksum !== checksum) throw new Error('telemetry on and off disagree on the result');
        rates[variant] = result.rate;
        cpuRates[variant] = result.cpuRate;
      }
      if (!warmup) {
        for (const v of variants) {
          wall[v].push(rates[v]);
          cpu[v].push(cpuRates[v]);
        }
      }
      progress(
        `  ${warmup ? 'warm-up' : `round ${r - options.warmupRounds + 1}`} (${order.join(' then ')}): ` +
          `wall off ${(rates.off / 1e6).toFixed(2)}M/s, on ${(rates.on / 1e6).toFixed(2)}M/s, ratio ${(rates.on / rates.off).toFixed(3)}; ` +
          `CPU ratio ${(cpuRates.on / cpuRates.off).toFixed(3)}, control ${(cpuRates.control / cpuRates.off).toFixed(3)}`,
      );
    }
  } finally {
    sink.close();
    await rm(dir, { recursive: true, force: true });
  }
  return {
    recordsPerRound: options.batches * options.batchSize,
    wall: figures(wall.off, wall.on),
    cpu: figures(cpu.off, cpu.on),
    cpuMsPerBatch: median(cpu.on.map((on, i) => options.batchSize * (1 / on - 1 / cpu.off[i]!) * 1000)),
    graphiteDatagrams: datagrams,
    control: { wall: figures(wall.off, wall.control), cpu: figures(cpu.off, cpu.control) },
  };
}

function figures(offRates: number[], onRates: number[]): RatioFigures {
  const ratios = onRates.map((on, i) => on / offRates[i]!);
  return {
    offRates,
    onRates,
    ratios,
    minRatio: Math.min(...ratios),
    medianRatio: median(ratios),
    medianOffRate: median(offRates),
    medianOnRate: median(onRates),
  };
}
