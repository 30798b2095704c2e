/**
 * A hostile line on a socket: a socketTextStream (default line bound, 1 MiB) on 1 s batches is
 * fed, after a quiet warm-up, `lines` lines of `lineBytes` bytes (50 MB by default) without a
 * newline until their end, each followed by a marker line. The sender is a child process (its
 * memory is not ours) writing 64 KiB pieces as fast as TCP takes them. Measured in this process:
 * RSS growth over the warm-up's median (sampled every 10 ms), the scheduling delay of the batches
 * during the attack and the event-loop delay, how long each line took to go through (the sender
 * finishing it), and whether the marker after each line was delivered. The goals: RSS growth at
 * most the line bound plus 10%, p99 scheduling delay under 100 ms.
 *
 *   tsx bench/socket-line-attack.ts [lineBytes]    # standalone; `npm run bench -- --only line-attack`
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type CompletedBatchRecord, StreamingContext } from '../src/index.js';
import { DEFAULT_MAX_LINE_BYTES } from '../src/sources/line-splitter.js';
import { median, type Spread, spread } from './stats.js';

export interface LineAttackOptions {
  readonly lineBytes: number;
  /** Over-long lines sent one after the other, each followed by a marker line. */
  readonly lines: number;
  readonly batchIntervalMs: number;
  readonly warmupMs: number;
}

export interface LineAttackResult {
  readonly lineBytes: number;
  readonly lines: number;
  readonly maxLineBytes: number;
  readonly baselineRssMiB: number;
  /** How far RSS rose above its median in the quiet second before the attack: the noise floor. */
  readonly idleRssNoiseMiB: number;
  readonly maxRssGrowthMiB: number;
  readonly maxHeapGrowthMiB: number;
  readonly maxArrayBuffersGrowthMiB: number;
  /** The goal: the line bound plus 10%. */
  readonly rssGrowthGoalMiB: number;
  /** Per line: from its first byte sent to its last byte accepted by TCP (the sender's clock). */
  readonly lineSeconds: readonly number[];
  readonly batches: number;
  readonly schedulingDelayMs: Spread;
  readonly generationLateMs: Spread;
  readonly eventLoopDelayMs: { readonly p99: number; readonly max: number };
  readonly markersDelivered: number;
  readonly recordErrors: number;
}

const MiB = 1024 * 1024;

/** The sender: a TCP server that, on `go` from stdin, writes the hostile lines to its client. */
const SENDER = `
const net = require('node:net');
const [lineBytes, lines] = process.argv.slice(1).map(Number);
const piece = Buffer.alloc(64 * 1024, 0x78);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
let go;
const started = new Promise((r) => { go = r; });
process.stdin.on('data', (d) => { if (String(d).includes('go')) go(); });
const server = net.createServer(async (socket) => {
  socket.setNoDelay(true);
  socket.write('before\\n');
  await started;
  const write = (b) => socket.write(b) ? undefined : new Promise((r) => socket.once('drain', r));
  for (let i = 0; i < lines; i++) {
    const t0 = Date.now();
    for (let sent = 0; sent < lineBytes; ) {
      const n = Math.min(piece.length, lineBytes - sent);
      sent += n;
      await write(n === piece.length ? piece : piece.subarray(0, n));
    }
    await write('\\nafter-' + i + '\\n');
    say({ line: i, start: t0, end: Date.now() });
  }
});
server.listen(0, '127.0.0.1', () => say({ port: server.address().port }));
`;

export async function measureLineAttack(
  options: LineAttackOptions,
  log: (line: string) => void,
): Promise<LineAttackResult> {
  const sender = spawn(process.execPath, ['-e', SENDER, String(options.lineBytes), String(options.lines)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lineTimes: { start: number; end: number }[] = [];
  let port: number | undefined;
  let pending = '';
  sender.stdout.setEncoding('utf8');
  sender.stdout.on('data', (d: string) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const message = JSON.parse(pending.slice(0, nl)) as { port?: number; start?: number; end?: number };
      pending = pending.slice(nl + 1);
      if (message.port !== undefined) port = message.port;
      if (message.start !== undefined && message.end !== undefined)
        lineTimes.push({ start: message.start, end: message.end });
    }
  });
  const ssc = new StreamingContext({
    appName: 'bench-line-attack',
    batchIntervalMs: options.batchIntervalMs,
    tracing: false,
    retainedBatches: 1000,
  });
  try {
    while (port === undefined) await sleep(10);
    const completed: CompletedBatchRecord[] = [];
    let recordErrors = 0;
    ssc.addStreamingListener({
      onBatchCompleted: (b) => completed.push(b),
      onSourceEvent: (e) => {
        if (e.type === 'record-error') recordErrors++;
      },
    });
    const markers = new Set<string>();
    // The batch job: a little work per record, as a real job would do.
    ssc.socketTextStream('127.0.0.1', port, { restartDelayMs: 60_000 }).foreachRDD(async (rdd) => {
      for (const line of await rdd.collect()) if (line.startsWith('after-')) markers.add(line);
    });
    await ssc.start();

    const samples: { t: number; rss: number; heap: number; arrayBuffers: number }[] = [];
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      samples.push({ t: Date.now(), rss: m.rss, heap: m.heapUsed, arrayBuffers: m.arrayBuffers });
    }, 10);
    await sleep(options.warmupMs);
    const attackStart = Date.now();
    const baseline = samples.filter((s) => s.t >= attackStart - 1000);
    const baselineRss = median(baseline.map((s) => s.rss));
    const baselineArrayBuffers = median(baseline.map((s) => s.arrayBuffers));
    const baselineHeap = median(baseline.map((s) => s.heap));
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    log(
      `  attack: ${options.lines} line(s) of ${(options.lineBytes / 1e6).toFixed(0)} MB without a newline ...`,
    );
    sender.stdin.write('go\n');
    const deadline = attackStart + 180_000;
    while (markers.size < options.lines && Date.now() < deadline) await sleep(20);
    const attackEnd = Date.now();
    loop.disable();
    // One more batch after the end, so the batches of the attack are all complete.
    await sleep(options.batchIntervalMs + 200);
    clearInterval(sampler);
    const during = samples.filter((s) => s.t >= attackStart && s.t <= attackEnd);
    const batches = completed.filter(
      (b) => b.batchTime >= attackStart && b.batchTime <= attackEnd + options.batchIntervalMs,
    );
    const maxLineBytes = DEFAULT_MAX_LINE_BYTES;
    const result: LineAttackResult = {
      lineBytes: options.lineBytes,
      lines: options.lines,
      maxLineBytes,
      baselineRssMiB: baselineRss / MiB,
      idleRssNoiseMiB: Math.max(0, ...baseline.map((s) => s.rss - baselineRss)) / MiB,
      maxRssGrowthMiB: Math.max(0, ...during.map((s) => s.rss - baselineRss)) / MiB,
      maxHeapGrowthMiB: Math.max(0, ...during.map((s) => s.heap - baselineHeap)) / MiB,
      maxArrayBuffersGrowthMiB:
        Math.max(0, ...during.map((s) => s.arrayBuffers - baselineArrayBuffers)) / MiB,
      rssGrowthGoalMiB: (maxLineBytes * 1.1) / MiB,
      lineSeconds: lineTimes.map((l) => (l.end - l.start) / 1000),
      batches: batches.length,
      schedulingDelayMs: spread(batches.map((b) => b.schedulingDelayMs)),
      generationLateMs: spread(batches.map((b) => b.submissionTime - b.batchTime)),
      eventLoopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
      markersDelivered: markers.size,
      recordErrors,
    };
    log(
      `  RSS ${result.baselineRssMiB.toFixed(0)} MiB before (idle noise +${result.idleRssNoiseMiB.toFixed(2)} MiB), ` +
        `+${result.maxRssGrowthMiB.toFixed(2)} MiB at most (array buffers +${result.maxArrayBuffersGrowthMiB.toFixed(2)} MiB, ` +
        `JS heap +${result.maxHeapGrowthMiB.toFixed(2)} MiB); lines took ` +
        `${result.lineSeconds.map((s) => `${s.toFixed(2)} s`).join(', ')}; ${result.batches} batches, scheduling delay ` +
        `p99 ${result.schedulingDelayMs.p99} ms; event-loop delay p99 ${result.eventLoopDelayMs.p99.toFixed(1)} ms, ` +
        `max ${result.eventLoopDelayMs.max.toFixed(1)} ms; markers ${result.markersDelivered}/${options.lines}, ` +
        `record errors ${result.recordErrors}`,
    );
    return result;
  } finally {
    await ssc.stop();
    sender.kill();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lineBytes = Number(process.argv[2] ?? 50e6);
  await measureLineAttack({ lineBytes, lines: 2, batchIntervalMs: 1000, warmupMs: 3000 }, (l) =>
    console.log(l),
  );
}
