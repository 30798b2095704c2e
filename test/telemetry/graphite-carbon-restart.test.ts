/**
 * Resilience against a REAL carbon-cache that the test owns (a private instance on free ports,
 * so the shared one from scripts/services.sh is never disturbed): absent at start, started,
 * SIGKILLed mid-run, started again. Batches must stay on schedule, the exporter must reconnect
 * and the last batches must land in whisper.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompletedBatchRecord } from '../../src/events/index.js';
import { StreamingContext } from '../../src/index.js';
import { GraphiteExporter } from '../../src/telemetry/exporters/graphite/graphite-exporter.js';
import { MetricsPipeline } from '../../src/telemetry/metrics-pipeline.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { freePort, until } from '../support/line-server.js';
import { requireGraphite } from '../support/services.js';

const run = promisify(execFile);
// The shared carbon being up is the sign that carbon-cache is installed (services.sh installs it).
const hasCarbon = await requireGraphite();

const INTERVAL_MS = 1000;

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

class PrivateCarbon {
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateCarbon> {
    const dir = await mkdtemp(join(tmpdir(), 'sidestream-carbon-'));
    const [port, pickle, query] = [await freePort(), await freePort(), await freePort()];
    const storage = join(dir, 'storage');
    await writeFile(
      join(dir, 'carbon.conf'),
      [
        '[cache]',
        `STORAGE_DIR = ${storage}/`,
        `LOCAL_DATA_DIR = ${storage}/whisper/`,
        `WHITELISTS_DIR = ${storage}/lists/`,
        `CONF_DIR = ${dir}/`,
        `LOG_DIR = ${dir}/log/`,
        `PID_DIR = ${storage}/`,
        'ENABLE_LOGROTATION = False',
        'USER =',
        'MAX_CACHE_SIZE = inf',
        'MAX_UPDATES_PER_SECOND = inf',
        'MAX_CREATES_PER_MINUTE = inf',
        'WHISPER_AUTOFLUSH = True',
        'ENABLE_TAGS = False',
        'LINE_RECEIVER_INTERFACE = 127.0.0.1',
        `LINE_RECEIVER_PORT = ${port}`,
        'ENABLE_UDP_LISTENER = False',
        'PICKLE_RECEIVER_INTERFACE = 127.0.0.1',
        `PICKLE_RECEIVER_PORT = ${pickle}`,
        'CACHE_QUERY_INTERFACE = 127.0.0.1',
        `CACHE_QUERY_PORT = ${query}`,
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'storage-schemas.conf'), '[all]\npattern = .*\nretentions = 1s:1h,10s:1d\n');
    return new PrivateCarbon(dir, port);
  }

  async start(): Promise<void> {
    await run('carbon-cache', [`--config=${join(this.dir, 'carbon.conf')}`, 'start'], {
      env: { ...process.env, GRAPHITE_ROOT: this.dir, GRAPHITE_CONF_DIR: this.dir },
    });
    const deadline = Date.now() + 15_000;
    while (!(await accepts(this.port))) {
      if (Date.now() > deadline)
        throw new Error(`carbon-cache did not listen on ${this.port}; see ${this.dir}/log`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async pid(): Promise<number | undefined> {
    const text = await readFile(join(this.dir, 'storage', 'carbon-cache-a.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    return pid > 0 ? pid : undefined;
  }

  /** SIGKILL: a crash, no clean shutdown. */
  async kill(): Promise<void> {
    const pid = await this.pid();
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);
    await rm(join(this.dir, 'storage', 'carbon-cache-a.pid'), { force: true });
  }

  async points(path: string, fromSeconds: number): Promise<Map<number, number>> {
    const file = `${join(this.dir, 'storage', 'whisper', ...path.split('.'))}.wsp`;
    const { stdout } = await run('whisper-fetch', ['--json', `--from=${fromSeconds}`, file]);
    const data = JSON.parse(stdout) as { start: number; step: number; values: (number | null)[] };
    const out = new Map<number, number>();
    data.values.forEach((v, i) => {
      if (v !== null) out.set(data.start + i * data.step, v);
    });
    return out;
  }
}

let carbon: PrivateCarbon | undefined;
let ssc: StreamingContext | undefined;
afterAll(async () => {
  await ssc?.stop();
  await carbon?.kill();
  if (carbon) await rm(carbon.dir, { recursive: true, force: true });
});

describe.runIf(hasCarbon)('Graphite exporter against a carbon-cache that crashes and comes back', () => {
  it('keeps batches on time, reconnects, counts drops, and the batches after the restart reach whisper', async () => {
    carbon = await PrivateCarbon.create();
    ssc = new StreamingContext({ appName: 'restart', batchIntervalMs: INTERVAL_MS, defaultParallelism: 2 });
    const metrics = new MetricsRegistry('restart');
    const exporter = new GraphiteExporter({
      app: 'restart',
      registry: metrics.registry,
      target: { protocol: 'tcp', host: '127.0.0.1', port: carbon.port },
      maxBufferedLines: 40,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
    });
    const pipeline = new MetricsPipeline({
      registry: metrics.registry,
      app: 'restart',
      applying: new PrometheusListener(metrics.registry, ssc, 'test'),
      exporters: [exporter],
    });
    ssc.addStreamingListener(pipeline);
    const batches: CompletedBatchRecord[] = [];
    ssc.addStreamingListener({ onBatchCompleted: (b) => void batches.push(b) });
    ssc.queueStream(Array.from({ length: 100 }, (_, i) => [i])).foreachRDD(async (rdd) => {
      await rdd.count();
    });
    await ssc.start();
    const waitBatches = (n: number) => until(() => batches.length >= n, (n + 5) * INTERVAL_MS * 2);

    await waitBatches(3); // carbon absent
    expect(exporter.stats.droppedLines).toBeGreaterThan(0);
    await carbon.start();
    await until(() => exporter.stats.connects === 1, 10_000);
    await waitBatches(batches.length + 2);
    await carbon.kill();
    await until(() => !exporter.isConnected, 10_000);
    await waitBatches(batches.length + 3);
    await carbon.start();
    await until(() => exporter.stats.connects === 2, 10_000);
    await waitBatches(batches.length + 3);
    await ssc.stop({ graceful: true, timeoutMs: 5000 });
    ssc = undefined;
    await pipeline.stop();

    const delays = batches.map((b) => b.schedulingDelayMs);
    expect(Math.max(...delays), `scheduling delays ${delays.join(',')}`).toBeLessThan(INTERVAL_MS / 2);
    const times = batches.map((b) => b.batchTime);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(times.slice(1).map(() => INTERVAL_MS));

    const last = batches.at(-1)!;
    const lastSucceeded = batches.filter((b) => b.outcome === 'succeeded').length;
    const points = await (async () => {
      const end = Date.now() + 10_000;
      for (;;) {
        const p = await carbon!
          .points('sidestream.restart.batches_total.succeeded', Math.floor(times[0]! / 1000) - 2)
          .catch(() => new Map<number, number>());
        if (p.get(Math.floor(last.batchTime / 1000)) === lastSucceeded || Date.now() > end) return p;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    expect(points.get(Math.floor(last.batchTime / 1000))).toBe(lastSucceeded);
    console.info(
      `[graphite carbon restart] ${batches.length} batches of ${INTERVAL_MS} ms, max scheduling delay ` +
        `${Math.max(...delays)} ms, stats ${JSON.stringify(exporter.stats)}`,
    );
  }, 90_000);
});
