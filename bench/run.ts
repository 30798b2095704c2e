/**
 * `npm run bench`: every benchmark, side by side in one run, with the machine it ran on.
 * Benchmarks print figures; they assert nothing (docs/benchmarks.md keeps the results).
 *
 *   npm run bench                      # 16 s of 100 ms batches (~150 measured), then throughput
 *   npm run bench -- --rounds 3 --delay-seconds 5
 *   npm run bench -- --only throughput --json /tmp/bench.json
 *   npm run bench -- --only kafka      # needs the broker of `scripts/services.sh up`; about 75 s
 *   npm run bench -- --only wal        # WAL appends vs raw fs appends, then 1 GB recovery; ~2 min
 *   SS_BENCH_WAL_RECOVERY_MB=200 npm run bench -- --only wal    # a smaller recovery
 *   npm run bench -- --only telemetry  # all telemetry on vs off (and off again, the control), interleaved; about 1 min
 *   npm run bench -- --only executors  # CPU-heavy map, executors 0/1/2 vs bare threads; ~1 min
 *   npm run bench -- --only range-read  # executor range reads of 500k records (KafkaRangeReader); ~1 min
 *   npm run bench -- --only rss        # agent RSS at 50k rec/s from Kafka, backpressure on; the job as .mjs and as .ts; ~4 min
 *   npm run bench -- --only line-attack  # 2 x 50 MB lines without a newline at a socket receiver; ~10 s
 *   npm run bench -- --only peers      # word count vs Spark Streaming, kafkajs, Java; 2M x 3 rounds, ~8 min
 *   npm run bench -- --only peers --peer-records 200000 --peer-rounds 1   # a quick try
 *   npm run bench -- --only peers --peer-codec none,lz4,zstd   # the same on each codec's own topic
 *   npm run bench -- --only peers-steady  # 100k rec/s for 60 s: sidestream vs Spark batch delays; ~3 min
 *   npm run bench -- --json out.json && npm run bench:chart -- out.json   # docs/benchmarks.svg
 *
 * The Kafka benchmarks run when the broker at 127.0.0.1:9092 answers, and are reported as
 * skipped otherwise. The peer benchmarks (bench/peers.ts, bench/peers-steady.ts) run only when
 * named in --only: they need `npm run build`, Java and Maven (Spark's side is built on first
 * use); the catch-up takes about 8 minutes per codec of --peer-codec (none, gzip, snappy, lz4,
 * zstd; none by default), the steady phase about 3 (always uncompressed).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { type ExecutorsResult, measureExecutors } from './executors.js';
import { KAFKA_BROKERS, kafkaUnreachable } from './kafka-common.js';
import { type KafkaLatencyResult, measureKafkaLatency } from './kafka-latency.js';
import { measureRangeRead, type RangeReadResult } from './kafka-range-read.js';
import { type KafkaThroughputResult, measureKafkaThroughput } from './kafka-throughput.js';
import { describeMachine } from './machine.js';
import { parsePeerCodecs } from './peers/peer-codecs.js';
import { describePeerRun, measurePeers, PEER_BASELINES, type PeersResult } from './peers.js';
import { describeSteadyRun, measurePeersSteady, type SteadyRun } from './peers-steady.js';
import { measureReceiverRecovery, type ReceiverRecoveryResult } from './receiver-recovery.js';
import { measureRss, type RssResult } from './rss.js';
import { measureSchedulingDelay, type SchedulingDelayResult } from './scheduling-delay.js';
import { type LineAttackResult, measureLineAttack } from './socket-line-attack.js';
import { formatTable } from './table.js';
import { measureTelemetryOverhead, type TelemetryOverheadResult } from './telemetry-overhead.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';
import { defaultWalBaseDir, fmtRate, measureWal, type WalBenchResult } from './wal.js';

const RATIO_GOAL = 0.8;
const SCHEDULING_P99_GOAL_MS = 5;
const KAFKA_RATIO_GOAL = 0.9;
const WAL_RATIO_GOAL = 0.8;
const TELEMETRY_RATIO_GOAL = 0.97;
const EXECUTORS_SPEEDUP_GOAL = 1.7;
const RSS_GOAL_MB = 300;
const LINE_ATTACK_DELAY_P99_GOAL_MS = 100;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    warmup: { type: 'string', default: '2' },
    batches: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '200000' },
    keys: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '' },
    'batch-interval-ms': { type: 'string', default: '100' },
    'delay-seconds': { type: 'string', default: '16' },
    'kafka-records': { type: 'string', default: '1000000' },
    'kafka-rounds': { type: 'string', default: '3' },
    'kafka-latency-seconds': { type: 'string', default: '20' },
    'kafka-latency-intervals': { type: 'string', default: '100,1000' },
    'executor-batches': { type: 'string', default: '6' },
    'executor-records': { type: 'string', default: '4000' },
    'executor-rounds': { type: 'string', default: '3' },
    'range-read-records': { type: 'string', default: '500000' },
    'range-read-rounds': { type: 'string', default: '5' },
    'rss-rate': { type: 'string', default: '50000' },
    'rss-seconds': { type: 'string', default: '60' },
    'wal-rounds': { type: 'string', default: '5' },
    'wal-variant-ms': { type: 'string', default: '1000' },
    'telemetry-batches': { type: 'string', default: '20' },
    'telemetry-batch-size': { type: 'string', default: '200000' },
    'line-attack-mb': { type: 'string', default: '50' },
    'peer-records': { type: 'string', default: '2000000' },
    'peer-rounds': { type: 'string', default: '3' },
    'peer-codec': { type: 'string', default: 'none' },
    'peer-rate': { type: 'string', default: '100000' },
    'peer-steady-seconds': { type: 'string', default: '60' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});

function int(name: keyof typeof args): number {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 0) usage(`--${name} must be a whole number (got '${args[name]}')`);
  return value;
}

function usage(message: string): never {
  console.error(message);
  process.exit(2);
}

const machine = describeMachine();
const ONLY = [
  'throughput',
  'delay',
  'kafka',
  'wal',
  'telemetry',
  'executors',
  'range-read',
  'rss',
  'line-attack',
  'peers',
  'peers-steady',
];
// --only takes one benchmark or several, comma-separated.
const only = args.only?.split(',');
if (only !== undefined && !only.every((o) => ONLY.includes(o))) {
  usage(
    `--only must name some of ${ONLY.map((o) => `'${o}'`).join(', ')}, comma-separated (got '${args.only}')`,
  );
}
const runExecutors = only === undefined || only.includes('executors');
const runRangeRead = only === undefined || only.includes('range-read');
const runRss = only === undefined || only.includes('rss');
const runLineAttack = only === undefined || only.includes('line-attack');
// Opt-in: they need Java and Maven besides the broker, and run for minutes.
const runPeers = only?.includes('peers') ?? false;
const runPeersSteady = only?.includes('peers-steady') ?? false;
const peerCodecs = (() => {
  try {
    return parsePeerCodecs(args['peer-codec']);
  } catch (error) {
    return usage((error as Error).message);
  }
})();
const runThroughput = only === undefined || only.includes('throughput');
const runDelay = only === undefined || only.includes('delay');
const runKafka = only === undefined || only.includes('kafka');
const runWal = only === undefined || only.includes('wal');
const walRecoveryMb = Number(process.env.SS_BENCH_WAL_RECOVERY_MB ?? '1024');
if (!Number.isInteger(walRecoveryMb) || walRecoveryMb < 0) {
  usage(
    `SS_BENCH_WAL_RECOVERY_MB must be a whole number of MB (got '${process.env.SS_BENCH_WAL_RECOVERY_MB}')`,
  );
}
const runTelemetry = only === undefined || only.includes('telemetry');
const kafkaIntervals = args['kafka-latency-intervals'].split(',').map(Number);
if (!kafkaIntervals.every((i) => Number.isInteger(i) && i >= 1)) {
  usage(
    `--kafka-latency-intervals must be whole milliseconds, comma-separated (got '${args['kafka-latency-intervals']}')`,
  );
}
// The engine's default is one partition per core; one partition shows the per-task overhead apart.
const partitions = args.partitions
  ? args.partitions.split(',').map(Number)
  : [...new Set([machine.cores, 1])];
if (!partitions.every((p) => Number.isInteger(p) && p >= 1)) {
  usage(`--partitions must be whole numbers >= 1, comma-separated (got '${args.partitions}')`);
}

// Other processes on the machine skew every figure: the load average says whether the run was quiet.
const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const rate = (perSec: number) => `${(perSec / 1e6).toFixed(2)} M rec/s`;
const ms = (v: number) => `${v} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

const startedAt = new Date().toISOString();
const loadAtStart = loadNow();
console.log('sidestream benchmarks');
console.log(
  formatTable(
    [
      ['machine', ''],
      ['CPU', machine.cpu],
      ['cores', String(machine.cores)],
      ['memory', `${machine.memoryGiB} GiB`],
      ['Node', machine.node],
      ['OS', machine.os],
      ['date', startedAt],
      ['load average', `${loadAtStart} (1, 5, 15 min)`],
    ],
    ['l', 'l'],
  ),
);

let throughput: ThroughputResult | undefined;
let delay: SchedulingDelayResult | undefined;
let kafkaThroughput: KafkaThroughputResult | undefined;
const kafkaLatency: KafkaLatencyResult[] = [];
let kafkaSkipped: string | undefined;
let wal: WalBenchResult | undefined;
let receiverRecovery: ReceiverRecoveryResult | undefined;
let telemetry: TelemetryOverheadResult | undefined;
let executors: ExecutorsResult | undefined;
let rangeRead: RangeReadResult | undefined;
let rangeReadSkipped: string | undefined;
const rss: RssResult[] = [];
let rssSkipped: string | undefined;
let lineAttack: LineAttackResult | undefined;
const peers: PeersResult[] = [];
let peersSkipped: string | undefined;
let peersSteady: SteadyRun[] | undefined;

if (runDelay) {
  const seconds = int('delay-seconds');
  const interval = int('batch-interval-ms');
  console.log(`\n[scheduling delay] ${interval} ms batches, SystemClock, idle pipeline, ${seconds} s ...`);
  delay = await measureSchedulingDelay({
    batchIntervalMs: interval,
    durationMs: seconds * 1000,
    warmupMs: 1000,
    ratePerSec: 100,
  });
}

if (runThroughput) {
  const batches = int('batches');
  const size = int('batch-size');
  console.log(
    `\n[throughput] map + filter + reduceByKey, ${batches} batches x ${size} records, ` +
      `${int('keys')} keys, ${int('warmup')} warm-up + ${int('rounds')} measured rounds ...`,
  );
  throughput = await measureThroughput(
    {
      batches,
      batchSize: size,
      keys: int('keys'),
      rounds: Math.max(1, int('rounds')),
      warmupRounds: int('warmup'),
      partitions,
    },
    (line) => console.log(line),
  );
  console.log(
    `[wal] receiver stream recovery: ${walRecoveryMb} MB of stored blocks, kill -9, time to the first batch ...`,
  );
  receiverRecovery = await measureReceiverRecovery(walRecoveryMb * 1e6);
}

if (runTelemetry) {
  const batches = int('telemetry-batches');
  const size = int('telemetry-batch-size');
  console.log(
    `\n[telemetry] the throughput pipeline with event times, ${batches} batches x ${size} records, ` +
      `all telemetry on (Prometheus listener, Graphite to a UDP sink, tracing API, batch log) vs off (and off again: the control), ` +
      `interleaved, ${int('warmup')} warm-up + ${int('rounds')} measured rounds ...`,
  );
  telemetry = await measureTelemetryOverhead(
    {
      batches,
      batchSize: size,
      keys: int('keys'),
      rounds: Math.max(1, int('rounds')),
      warmupRounds: int('warmup'),
      partitions: machine.cores,
    },
    (line) => console.log(line),
  );
}

if (runKafka) {
  const unreachable = await kafkaUnreachable();
  if (unreachable !== undefined) {
    kafkaSkipped = `Kafka not reachable at ${KAFKA_BROKERS.join(',')} (scripts/services.sh up)`;
    console.log(`\n[kafka] skipped: ${kafkaSkipped}: ${unreachable}`);
  } else {
    const records = int('kafka-records');
    const rounds = Math.max(1, int('kafka-rounds'));
    console.log(
      `\n[kafka throughput] ${records.toLocaleString('en-US')} records over 6 partitions, raw kafkajs ` +
        `eachBatch (count only) vs kafkaDirectStream + map + reduceByKey (1 s batches, telemetry on), ` +
        `${rounds} round(s) ...`,
    );
    kafkaThroughput = await measureKafkaThroughput(
      {
        records,
        partitions: 6,
        keys: 1000,
        valueBytes: 100,
        rounds,
        batchIntervalMs: 1000,
        defaultParallelism: 2,
      },
      (line) => console.log(line),
    );
    const seconds = int('kafka-latency-seconds');
    for (const interval of kafkaIntervals) {
      console.log(
        `\n[kafka latency] ${interval} ms batches, 2000 rec/s produced for ${seconds} s, produce -> batch completion ...`,
      );
      const r = await measureKafkaLatency({
        batchIntervalMs: interval,
        durationMs: seconds * 1000,
        warmupMs: 2000,
        ratePerSec: 2000,
        partitions: 6,
        keys: 1000,
        valueBytes: 100,
      });
      kafkaLatency.push(r);
      console.log(
        `  ${r.records} records measured (${r.produced} produced, ${r.missing} missing), ${r.batches} batches ` +
          `(${r.failedBatches} failed): p50 ${r.endToEndMs.p50} ms, p99 ${r.endToEndMs.p99} ms, max ${r.endToEndMs.max} ms`,
      );
      console.log(
        `  of which produce -> batch time p50 / p99 ${r.untilBatchTimeMs.p50} / ${r.untilBatchTimeMs.p99} ms, ` +
          `batch time -> done p50 / p99 ${r.batchTimeToEndMs.p50} / ${r.batchTimeToEndMs.p99} ms`,
      );
    }
  }
}

if (runExecutors) {
  const batches = int('executor-batches');
  const records = int('executor-records');
  console.log(
    `\n[executors] JSON parse + 200 x SHA-256 per record, ${batches} batches x ${records} records, ` +
      `8 partitions; ${int('executor-rounds')} interleaved rounds of bare worker threads 1 and 2, then executors 0, 1, 2 ...`,
  );
  executors = await measureExecutors(
    { batches, records, partitions: 8, executors: [0, 1, 2], rounds: Math.max(1, int('executor-rounds')) },
    (line) => console.log(line),
  );
}

if (runRangeRead) {
  const unreachable = await kafkaUnreachable();
  if (unreachable !== undefined) {
    rangeReadSkipped = `Kafka not reachable at ${KAFKA_BROKERS.join(',')} (scripts/services.sh up)`;
    console.log(`\n[range read] skipped: ${rangeReadSkipped}: ${unreachable}`);
  } else {
    const records = int('range-read-records');
    console.log(
      `\n[range read] KafkaRangeReader + decodeRange of ${records.toLocaleString('en-US')} records (~100 B values), ` +
        `2 partitions, ranges of 50,000; ${int('range-read-rounds')} rounds ...`,
    );
    rangeRead = await measureRangeRead({
      records,
      partitions: 2,
      range: 50_000,
      rounds: Math.max(1, int('range-read-rounds')),
    });
  }
}

if (runRss) {
  const unreachable = await kafkaUnreachable();
  if (unreachable !== undefined) {
    rssSkipped = `Kafka not reachable at ${KAFKA_BROKERS.join(',')} (scripts/services.sh up)`;
    console.log(`\n[rss] skipped: ${rssSkipped}: ${unreachable}`);
  } else {
    const ratePerSec = int('rss-rate');
    const seconds = int('rss-seconds');
    const runs: { executors: number | undefined; job: 'ts' | 'js' }[] = [
      { executors: undefined, job: 'js' },
      { executors: undefined, job: 'ts' },
      { executors: 0, job: 'ts' },
    ];
    for (const { executors: n, job } of runs) {
      console.log(
        `\n[rss] the agent (executors ${n ?? 'default'}, the job as .${job === 'js' ? 'mjs' : 'ts'}) on ${ratePerSec.toLocaleString('en-US')} rec/s ` +
          `produced into 6 partitions, 1 s batches, backpressure on; 10 s warm-up, ${seconds} s sampled ...`,
      );
      rss.push(
        await measureRss(
          {
            ratePerSec,
            warmupMs: 10_000,
            durationMs: seconds * 1000,
            batchIntervalMs: 1000,
            job,
            ...(n === undefined ? {} : { executors: n }),
          },
          (line) => console.log(line),
        ),
      );
    }
  }
}

if (runLineAttack) {
  const mb = int('line-attack-mb');
  console.log(
    `\n[line attack] socketTextStream (default 1 MiB line bound), 1 s batches; after 3 s quiet, 2 lines of ` +
      `${mb} MB without a newline until their end, each followed by a marker line ...`,
  );
  lineAttack = await measureLineAttack(
    { lineBytes: mb * 1e6, lines: 2, batchIntervalMs: 1000, warmupMs: 3000 },
    (line) => console.log(line),
  );
}

if (runWal) {
  const baseDir = defaultWalBaseDir();
  console.log(
    `\n[wal] appends of 100 B and 10 KB records per fsync policy, raw fs loop vs FileWriteAheadLog ` +
      `(sequential, and 64 concurrent writers), ${int('wal-variant-ms')} ms each, 1 warm-up + ` +
      `${int('wal-rounds')} rounds, in ${baseDir}; then recovery of ${walRecoveryMb} MB after kill -9 ...`,
  );
  wal = await measureWal(
    {
      recordSizes: [100, 10_000],
      rounds: Math.max(1, int('wal-rounds')),
      variantMs: int('wal-variant-ms'),
      concurrency: 64,
      recoveryBytes: walRecoveryMb * 1e6,
      baseDir,
    },
    (line) => console.log(line),
  );
}

if (runPeers) {
  const unreachable = await kafkaUnreachable();
  if (unreachable !== undefined) {
    peersSkipped = `Kafka not reachable at ${KAFKA_BROKERS.join(',')} (scripts/services.sh up)`;
    console.log(`\n[peers] skipped: ${peersSkipped}: ${unreachable}`);
  } else {
    const records = int('peer-records');
    const rounds = Math.max(1, int('peer-rounds'));
    for (const compression of peerCodecs) {
      console.log(
        `\n[peers, ${compression} topic] word count of ${records.toLocaleString('en-US')} ~100-byte records ` +
          `over 6 partitions, from the earliest offset: sidestream (default ` +
          `executors, and 0), Spark Streaming local[2], plain kafkajs, plain Java; ${rounds} interleaved ` +
          `round(s); load ${loadNow()} ...`,
      );
      peers.push(
        await measurePeers({ records, rounds, partitions: 6, compression }, (line) => console.log(line)),
      );
    }
  }
}

if (runPeersSteady) {
  const unreachable = await kafkaUnreachable();
  if (unreachable !== undefined) {
    peersSkipped = `Kafka not reachable at ${KAFKA_BROKERS.join(',')} (scripts/services.sh up)`;
    console.log(`\n[peers steady] skipped: ${peersSkipped}: ${unreachable}`);
  } else {
    const ratePerSec = int('peer-rate');
    const seconds = int('peer-steady-seconds');
    console.log(
      `\n[peers steady] ${ratePerSec.toLocaleString('en-US')} rec/s produced for ${seconds} s into a fresh ` +
        `6-partition topic, word count from the latest offset, 1 s batches; sidestream (default executors), ` +
        `Spark Streaming local[2]; 10 s warm-up; load ${loadNow()} ...`,
    );
    peersSteady = await measurePeersSteady(
      {
        ratePerSec,
        durationMs: seconds * 1000,
        warmupMs: 10_000,
        partitions: 6,
        compression: 'none',
        engines: ['sidestream', 'Spark Streaming'],
      },
      (line) => console.log(line),
    );
  }
}

const rows: string[][] = [['measure', 'median / value', 'goal', 'result', 'note']];
if (throughput) {
  const plain = throughput.plain;
  const gcNote = (share: number) => `GC ${(share * 100).toFixed(0)}% of the time`;
  rows.push([
    'plain JS loop (map, filter, Map sum)',
    rate(plain.medianRate),
    '',
    '',
    gcNote(plain.medianGcShare),
  ]);
  for (const e of throughput.engines) {
    const ratio = e.medianRatio;
    rows.push([
      `sidestream, ${e.partitions} partition(s)`,
      rate(e.medianRate),
      '',
      '',
      gcNote(e.medianGcShare),
    ]);
    rows.push([
      `  ratio engine/plain, ${e.partitions} partition(s)`,
      ratio.toFixed(2),
      `>= ${RATIO_GOAL}`,
      verdict(ratio >= RATIO_GOAL),
      'median of per-round ratios',
    ]);
  }
}
if (telemetry) {
  const t = telemetry;
  for (const [what, f, c] of [
    ['wall time', t.wall, t.control.wall],
    ['CPU time', t.cpu, t.control.cpu],
  ] as const) {
    rows.push([`telemetry off, per ${what}`, rate(f.medianOffRate), '', '', '']);
    rows.push([`telemetry on, per ${what}`, rate(f.medianOnRate), '', '', '']);
    // The control's distance from 1 is what this run can resolve: a ratio within it of the goal
    // is neither met nor missed.
    const resolution = Math.abs(1 - c.medianRatio);
    rows.push([
      `  ratio on/off by ${what} (median)`,
      f.medianRatio.toFixed(3),
      `>= ${TELEMETRY_RATIO_GOAL}`,
      f.medianRatio - resolution >= TELEMETRY_RATIO_GOAL
        ? 'met'
        : f.medianRatio + resolution < TELEMETRY_RATIO_GOAL
          ? 'NOT met'
          : 'unclear',
      `min ${f.minRatio.toFixed(3)} over ${f.ratios.length} interleaved rounds; met or missed only by more than the control's distance from 1`,
    ]);
    rows.push([
      `  control: off again / off by ${what} (median)`,
      c.medianRatio.toFixed(3),
      '',
      '',
      `a zero difference, measured: ${c.minRatio.toFixed(3)} to ${Math.max(...c.ratios).toFixed(3)} over the rounds`,
    ]);
  }
  rows.push([
    'telemetry: records per round',
    t.recordsPerRound.toLocaleString('en-US'),
    '',
    '',
    `${t.graphiteDatagrams} Graphite datagrams received by the sink`,
  ]);
  rows.push([
    'telemetry: CPU added per batch (median)',
    `${t.cpuMsPerBatch.toFixed(2)} ms`,
    '',
    '',
    'on minus off, per batch (its own noise: the control)',
  ]);
}
if (delay) {
  const s = delay.schedulingDelayMs;
  const g = delay.generationLateMs;
  const p = delay.processingDelayMs;
  rows.push([
    'batches measured (failed)',
    `${delay.batches} (${delay.failed})`,
    '',
    '',
    'first 1 s left out',
  ]);
  rows.push(['scheduling delay p50', ms(s.p50), '', '', 'start - submission']);
  rows.push([
    'scheduling delay p99',
    ms(s.p99),
    `< ${SCHEDULING_P99_GOAL_MS} ms`,
    verdict(s.p99 < SCHEDULING_P99_GOAL_MS),
    '',
  ]);
  rows.push(['scheduling delay max', ms(s.max), '', '', '']);
  rows.push(['generation late p50', ms(g.p50), '', '', 'submission - batch time']);
  rows.push(['generation late p99 / max', `${ms(g.p99)} / ${ms(g.max)}`, '', '', '']);
  rows.push(['processing delay p50 / p99', `${ms(p.p50)} / ${ms(p.p99)}`, '', '', 'end - start']);
}
if (kafkaThroughput) {
  const k = kafkaThroughput;
  const kRate = (perSec: number) => `${(perSec / 1000).toFixed(0)}k rec/s`;
  rows.push([
    `Kafka: produce ${k.records.toLocaleString('en-US')} records`,
    `${(k.produceMs / 1000).toFixed(1)} s`,
    '',
    '',
    `${kRate(k.produceRate)}, kafkajs, acks -1`,
  ]);
  rows.push([
    'Kafka: raw kafkajs eachBatch, count only',
    kRate(k.medianRawRate),
    '',
    '',
    'first fetched records to the last counted',
  ]);
  rows.push([
    'Kafka: sidestream direct stream, map + reduceByKey',
    kRate(k.medianEngineRate),
    '',
    '',
    'first fetched records to batch completion',
  ]);
  rows.push([
    '  ratio engine/raw (Kafka)',
    k.medianRatio.toFixed(2),
    `>= ${KAFKA_RATIO_GOAL}`,
    verdict(k.medianRatio >= KAFKA_RATIO_GOAL),
    `median of ${k.ratios.length} per-round ratios (${k.ratios.map((r) => r.toFixed(2)).join(', ')})`,
  ]);
  rows.push([
    'Kafka: the same with readAhead (group consumer fetching ahead)',
    kRate(k.medianReadAheadRate),
    '',
    '',
    `ratio to raw per round ${k.readAheadRatios.map((r) => r.toFixed(2)).join(', ')}`,
  ]);
  rows.push([
    '  ratio on demand (default) / readAhead',
    k.onDemandOverReadAhead.toFixed(2),
    '',
    '',
    `CPU per record: raw ${k.cpuUsPerRecord.raw.toFixed(2)} us, on demand ${k.cpuUsPerRecord.engine.toFixed(2)} us, readAhead ${k.cpuUsPerRecord.readAhead.toFixed(2)} us`,
  ]);
}
for (const l of kafkaLatency) {
  rows.push([
    `Kafka: produce -> batch done p50 / p99, ${l.batchIntervalMs} ms batches`,
    `${ms(l.endToEndMs.p50)} / ${ms(l.endToEndMs.p99)}`,
    '',
    '',
    `max ${ms(l.endToEndMs.max)}; ${l.records} records, ${l.batches} batches`,
  ]);
}
if (kafkaSkipped) rows.push(['Kafka', 'skipped', '', '', kafkaSkipped]);
if (executors) {
  const e = executors;
  rows.push([
    'bare worker threads, 1 -> 2 (the ceiling, median)',
    `${e.bare.ratio.toFixed(2)}x`,
    '',
    '',
    `${e.bare.oneMs.toFixed(0)} / ${e.bare.twoMs.toFixed(0)} ms, no engine`,
  ]);
  for (const r of e.runs) {
    rows.push([
      `CPU-heavy map, executors ${r.executors}`,
      `${(r.recordsPerSec / 1000).toFixed(1)}k rec/s`,
      '',
      '',
      `${r.ms.toFixed(0)} ms for ${e.batches} x ${e.records} records`,
    ]);
  }
  if (e.speedup1to2 !== undefined) {
    rows.push([
      '  speed-up 1 -> 2 executors (median)',
      `${e.speedup1to2.toFixed(2)}x`,
      `>= ${EXECUTORS_SPEEDUP_GOAL}x`,
      verdict(e.speedup1to2 >= EXECUTORS_SPEEDUP_GOAL),
      `rounds ${(e.speedups ?? []).map((x) => x.toFixed(2)).join(', ')}; ceiling ${e.bare.ratio.toFixed(2)}x`,
    ]);
  }
}
if (rangeRead) {
  rows.push([
    'executor range reads (KafkaRangeReader + decodeRange)',
    rate(rangeRead.recordsPerSec),
    '',
    '',
    `${rangeRead.cpuMicrosPerRecord.toFixed(2)} us CPU per record; ${rangeRead.mbPerSec.toFixed(1)} MB/s of values; median of ${rangeRead.rounds} rounds`,
  ]);
}
if (rangeReadSkipped) rows.push(['executor range reads', 'skipped', '', '', rangeReadSkipped]);
for (const r of rss) {
  rows.push([
    `agent RSS at ${(r.ratePerSec / 1000).toFixed(0)}k rec/s, executors ${r.executors}, job .${r.job === 'js' ? 'mjs' : 'ts'}`,
    `p50 ${r.rssMB.p50.toFixed(0)} / max ${r.rssMB.max.toFixed(0)} MB`,
    `< ${RSS_GOAL_MB} MB`,
    verdict(r.rssMB.max < RSS_GOAL_MB),
    `consumed ${(r.consumedPerSec / 1000).toFixed(1)}k rec/s of ${(r.producedPerSec / 1000).toFixed(1)}k produced; ${r.samples} samples`,
  ]);
}
if (rssSkipped) rows.push(['agent RSS', 'skipped', '', '', rssSkipped]);
if (lineAttack) {
  const a = lineAttack;
  const what = `${a.lines} x ${(a.lineBytes / 1e6).toFixed(0)} MB lines`;
  rows.push([
    `socket line attack (${what}): RSS growth`,
    `+${a.maxRssGrowthMiB.toFixed(2)} MiB`,
    `<= ${a.rssGrowthGoalMiB.toFixed(2)} MiB`,
    verdict(a.maxRssGrowthMiB <= a.rssGrowthGoalMiB),
    `array buffers +${a.maxArrayBuffersGrowthMiB.toFixed(2)}, JS heap +${a.maxHeapGrowthMiB.toFixed(2)} MiB; bound ${(a.maxLineBytes / 1024 / 1024).toFixed(0)} MiB`,
  ]);
  rows.push([
    `  scheduling delay p99 during the attack`,
    ms(a.schedulingDelayMs.p99),
    `< ${LINE_ATTACK_DELAY_P99_GOAL_MS} ms`,
    verdict(a.schedulingDelayMs.p99 < LINE_ATTACK_DELAY_P99_GOAL_MS),
    `${a.batches} batches; event-loop delay p99 ${a.eventLoopDelayMs.p99.toFixed(1)} / max ${a.eventLoopDelayMs.max.toFixed(1)} ms`,
  ]);
  rows.push([
    `  lines after the over-long ones delivered`,
    `${a.markersDelivered} of ${a.lines}`,
    `${a.lines} of ${a.lines}`,
    verdict(a.markersDelivered === a.lines),
    `${a.recordErrors} LineTooLong record errors; each line through in ${a.lineSeconds.map((x) => x.toFixed(2)).join(' / ')} s`,
  ]);
}
for (const a of wal?.appends ?? []) {
  const size = a.recordBytes >= 1000 ? `${a.recordBytes / 1000} KB` : `${a.recordBytes} B`;
  rows.push([`WAL ${size}, ${a.policy}: raw fs append loop`, fmtRate(a.raw), '', '', '']);
  rows.push([
    `  WAL sequential / raw`,
    a.sequentialRatio.toFixed(2),
    `>= ${WAL_RATIO_GOAL}`,
    verdict(a.sequentialRatio >= WAL_RATIO_GOAL),
    fmtRate(a.walSequential),
  ]);
  rows.push([
    `  WAL 64 concurrent writers / raw`,
    a.concurrentRatio.toFixed(2),
    `>= ${WAL_RATIO_GOAL}`,
    verdict(a.concurrentRatio >= WAL_RATIO_GOAL),
    `${fmtRate(a.walConcurrent)}; ${a.concurrentSyncsPerRecord.toFixed(3)} fdatasync/record`,
  ]);
  rows.push([
    `  CPU per record, raw / WAL sequential`,
    `${a.rawCpuUsPerRecord.toFixed(1)} / ${a.walSequentialCpuUsPerRecord.toFixed(1)} µs`,
    '',
    '',
    `CPU ratio raw/WAL ${(a.rawCpuUsPerRecord / a.walSequentialCpuUsPerRecord).toFixed(2)}`,
  ]);
}
if (wal?.recovery) {
  const r = wal.recovery;
  rows.push([
    `WAL recovery after kill -9: open + readAll`,
    `${r.totalSeconds.toFixed(2)} s`,
    '',
    '',
    `${(r.bytes / 1e6).toFixed(0)} MB, ${r.mbPerSec.toFixed(0)} MB/s, ${r.segments} segments, ${r.truncations} truncation(s)`,
  ]);
}
if (receiverRecovery) {
  const r = receiverRecovery;
  rows.push([
    `receiver stream after kill -9: start() to first batch`,
    `${(r.startToFirstBatchMs / 1000).toFixed(2)} s`,
    '',
    '',
    `${(r.walBytes / 1e6).toFixed(0)} MB in ${r.records} records, ${r.recoveredMBps.toFixed(0)} MB/s, all in that batch`,
  ]);
}
if (rows.length > 1) console.log(`\n${formatTable(rows, ['l', 'r', 'r', 'r', 'l'])}`);
for (const p of peers) {
  const kRate = (perSec: number) => (Number.isNaN(perSec) ? '-' : `${(perSec / 1000).toFixed(1)}k`);
  const mib = (bytes: number) => (Number.isNaN(bytes) ? '-' : `${(bytes / 2 ** 20).toFixed(0)}`);
  const ratio = (r: { median: number } | undefined) =>
    r === undefined || Number.isNaN(r.median) ? '-' : r.median.toFixed(2);
  const peerRows = [
    [
      'engine',
      'rec/s',
      'CPU µs/rec',
      'peak RSS MB',
      'peak heap MB',
      ...PEER_BASELINES.map((b) => `vs ${b}`),
      'runs ok',
    ],
    ...p.summary.map((s) => [
      s.engine,
      kRate(s.medianRate),
      Number.isNaN(s.medianCpuUsPerRecord) ? '-' : s.medianCpuUsPerRecord.toFixed(2),
      mib(s.peakRssBytes),
      mib(s.peakHeapBytes),
      ...PEER_BASELINES.map((b) => ratio(s.ratios[b])),
      `${s.okRuns}/${s.runs}`,
    ]),
  ];
  console.log(
    `\nword count of ${p.records.toLocaleString('en-US')} records (${p.expected.words.toLocaleString('en-US')} words), ` +
      `compression ${p.compression}, medians of ${p.summary[0]?.runs ?? 0} round(s); ratios: medians of per-round throughput ratios`,
  );
  console.log(formatTable(peerRows));
  console.log(
    `floor (the word count in a plain loop on this Node, no Kafka, no engine): ${p.floor.cpuUsPerRecord.toFixed(2)} µs CPU/record`,
  );
  console.log('every run:');
  for (const run of p.runs) console.log(`  round ${run.round}: ${describePeerRun(run)}`);
  const v = p.versions;
  console.log(
    `versions: Node ${v.node}; ${v.java}; Spark ${v.spark} (kafka-clients ${v.kafkaClients}); ` +
      `kafkajs ${v.kafkajs}; Kafka broker ${v.broker}`,
  );
}
if (peersSteady) {
  console.log('\nsteady phase (total delay: batch time to the end of its outputs):');
  for (const r of peersSteady) console.log(`  ${describeSteadyRun(r)}`);
}
if (peersSkipped) console.log(`\npeers: skipped: ${peersSkipped}`);
const loadAtEnd = loadNow();
console.log(`\nload average at the end: ${loadAtEnd} (1, 5, 15 min; ${machine.cores} cores)`);

if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify(
      {
        machine,
        date: startedAt,
        load: { start: loadAtStart, end: loadAtEnd },
        throughput,
        delay,
        receiverRecovery,
        telemetry,
        kafka: kafkaSkipped
          ? { skipped: kafkaSkipped }
          : { throughput: kafkaThroughput, latency: kafkaLatency },
        wal,
        executors,
        rangeRead: rangeReadSkipped ? { skipped: rangeReadSkipped } : rangeRead,
        rss: rssSkipped ? { skipped: rssSkipped } : rss,
        lineAttack,
        peers: peersSkipped
          ? { skipped: peersSkipped }
          : { catchUp: peers.length > 0 ? peers : undefined, steady: peersSteady },
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${args.json}`);
}
