/**
 * PushgatewayExporter against a REAL Pushgateway (a private instance on a free port): the final
 * push on stop, periodic pushes, and failures (nothing listening, a gateway that never answers)
 * that are counted and never hang stop().
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushgatewayExporter } from '../../src/telemetry/exporters/pushgateway-exporter.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { freePort } from '../support/agent-process.js';
import { type PushgatewayProcess, requirePushgateway, startPushgateway } from '../support/pushgateway.js';

const hasPushgateway = await requirePushgateway();

function agentMetrics(app: string) {
  const metrics = new MetricsRegistry(app);
  const listener = new PrometheusListener(
    metrics.registry,
    { appName: app, batchIntervalMs: 1000, batchesWaiting: 0 },
    '9.9.9',
  );
  return { metrics, listener };
}

async function errorsCount(metrics: MetricsRegistry, app: string): Promise<number | undefined> {
  const m = metrics.registry.getSingleMetric('sidestream_exporter_errors_total')!;
  return (await m.get()).values.find((v) => v.labels.app === app && v.labels.exporter === 'pushgateway')
    ?.value;
}

describe.runIf(hasPushgateway)('PushgatewayExporter and a real Pushgateway', () => {
  let gateway: PushgatewayProcess;
  beforeAll(async () => {
    gateway = await startPushgateway();
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
  });

  it('pushes the whole registry on stop, grouped by job = app', async () => {
    const app = 'pg-stop';
    const { metrics, listener } = agentMetrics(app);
    listener.onBlockStored({ streamId: 0, name: 'socket', numRecords: 42, bytes: 10, durable: false });
    const exporter = new PushgatewayExporter({ url: gateway.url, app, metrics });
    exporter.start();
    expect(await gateway.metricsText()).not.toContain(`job="${app}"`);
    await exporter.stop();
    await exporter.stop();
    expect(exporter.stats).toMatchObject({ pushes: 1, errors: 0 });
    const text = await gateway.metricsText();
    expect(text).toMatch(
      new RegExp(
        `^sidestream_records_received_total\\{app="${app}",instance="",job="${app}",stream="socket"\\} 42$`,
        'm',
      ),
    );
    expect(text).toMatch(
      new RegExp(`^sidestream_build_info\\{app="${app}",instance="",job="${app}",version="9.9.9"\\} 1$`, 'm'),
    );
    expect(text).toMatch(new RegExp(`^push_failure_time_seconds\\{instance="",job="${app}"\\} 0$`, 'm'));
  });

  it('pushes every interval while running, and a later push replaces the group', async () => {
    const app = 'pg-interval';
    const { metrics, listener } = agentMetrics(app);
    const exporter = new PushgatewayExporter({ url: gateway.url, app, metrics, intervalMs: 150 });
    exporter.start();
    const deadline = Date.now() + 10_000;
    while (exporter.stats.pushes < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(exporter.stats.pushes).toBeGreaterThanOrEqual(2);
    listener.onReceiverStarted({ streamId: 0, name: 'socket' });
    await exporter.stop();
    const text = await gateway.metricsText();
    expect(text).toMatch(
      new RegExp(`^sidestream_receivers_active\\{app="${app}",instance="",job="${app}"\\} 1$`, 'm'),
    );
    expect(exporter.stats.errors).toBe(0);
  });

  it('counts a push to nothing as an exporter error and stops at once', async () => {
    const app = 'pg-absent';
    const { metrics } = agentMetrics(app);
    expect(await errorsCount(metrics, app)).toBeUndefined();
    const exporter = new PushgatewayExporter({ url: `http://127.0.0.1:${await freePort()}`, app, metrics });
    expect(await errorsCount(metrics, app)).toBe(0);
    const t0 = Date.now();
    await exporter.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(exporter.stats).toMatchObject({ pushes: 0, errors: 1 });
    expect(await errorsCount(metrics, app)).toBe(1);
  });

  it('gives up on a gateway that never answers after the timeout, and interval pushes do not pile up', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const app = 'pg-silent';
      const { metrics } = agentMetrics(app);
      const exporter = new PushgatewayExporter({
        url: `http://127.0.0.1:${port}`,
        app,
        metrics,
        intervalMs: 50,
        timeoutMs: 400,
      });
      exporter.start();
      await new Promise((r) => setTimeout(r, 300));
      // One push hangs; the intervals meanwhile are skipped, not queued.
      expect(exporter.stats.skipped).toBeGreaterThan(0);
      const t0 = Date.now();
      await exporter.stop();
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(exporter.stats.errors).toBe(2);
      expect(await errorsCount(metrics, app)).toBe(2);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});

describe('PushgatewayExporter failures', () => {
  it('hands each failed push to onPushFailed, the one on stop marked final, after counting it', async () => {
    const app = 'pg-failed';
    const { metrics } = agentMetrics(app);
    const failures: { push: string; error: string; counted: number }[] = [];
    const exporter = new PushgatewayExporter({
      url: `http://127.0.0.1:${await freePort()}`,
      app,
      metrics,
      intervalMs: 50,
      onPushFailed: (error, push) => {
        failures.push({ push, error: String(error), counted: exporter.stats.errors });
      },
    });
    exporter.start();
    const deadline = Date.now() + 5000;
    while (failures.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await exporter.stop();
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.slice(0, -1).every((f) => f.push === 'interval')).toBe(true);
    expect(failures.at(-1)?.push).toBe('final');
    expect(failures.at(-1)?.error).toMatch(/ECONNREFUSED/);
    expect(failures.map((f) => f.counted)).toEqual(failures.map((_, i) => i + 1));
    expect(exporter.stats.errors).toBe(failures.length);
    expect(await errorsCount(metrics, app)).toBe(failures.length);
  });

  it('stop() still resolves when onPushFailed throws', async () => {
    const app = 'pg-failed-callback';
    const { metrics } = agentMetrics(app);
    const exporter = new PushgatewayExporter({
      url: `http://127.0.0.1:${await freePort()}`,
      app,
      metrics,
      onPushFailed: () => {
        throw new Error('a broken logger');
      },
    });
    await expect(exporter.stop()).resolves.toBeUndefined();
    expect(exporter.stats.errors).toBe(1);
  });
});
