/**
 * `npm run bench`: every benchmark, side by side in one run, with the machine it ran on.
 * Benchmarks print figures; they assert nothing (docs/benchmarks.md keeps the results).
 *
 *   npm run bench                      # 16 s of 100 ms batches (~150 measured), then throughput
 *   npm run bench -- --rounds 3 --delay-seconds 5
 *   npm run bench -- --only throughput --json /tmp/bench.json
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import { measureSchedulingDelay, type SchedulingDelayResult } from './scheduling-delay.js';
import { formatTable } from './table.js';
import { measureThroughput, type ThroughputResult } from './throughput.js';

const RATIO_GOAL = 0.8;
const SCHEDULING_P99_GOAL_MS = 5;

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
if (args.only !== undefined && args.only !== 'throughput' && args.only !== 'delay') {
  usage(`--only must be 'throughput' or 'delay' (got '${args.only}')`);
}
const runThroughput = args.only === undefined || args.only === 'throughput';
const runDelay = args.only === undefined || args.only === 'delay';
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
console.log(`\n${formatTable(rows, ['l', 'r', 'r', 'r', 'l'])}`);
const loadAtEnd = loadNow();
console.log(`\nload average at the end: ${loadAtEnd} (1, 5, 15 min; ${machine.cores} cores)`);

if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify({ machine, date: startedAt, load: { start: loadAtStart, end: loadAtEnd }, throughput, delay }, null, 2)}\n`,
  );
  console.log(`\nwrote ${args.json}`);
}
