import { afterEach, describe, expect, it } from 'vitest';
import { BATCH_RECORD_KEYS } from '../support/batch-record-keys.js';
import { eventually, freePort, httpGet, killAll, runCli, spawnCli } from '../support/cli-process.js';

afterEach(killAll);

const BATCH_LINE =
  /^batch \d\d:\d\d:\d\d\.\d{3} records=\d+ keys=\d+ top=\S+ window10s=\d+ sched=\S+ proc=\S+ lag\(avg\)=\S+$/m;

describe('sidestream demo', () => {
  it('prints batch lines, serves metrics, readiness and batches, and stops gracefully on SIGTERM', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const cli = spawnCli([
      'demo',
      '--http',
      `127.0.0.1:${port}`,
      '--batch-interval',
      '200ms',
      '--shutdown-timeout',
      '5s',
    ]);

    await cli.waitForStdout((out) => (out.match(new RegExp(BATCH_LINE.source, 'gm'))?.length ?? 0) >= 2);
    for (const line of cli.stdout().trim().split('\n')) expect(line).toMatch(BATCH_LINE);

    await eventually(
      async () => ((await httpGet(`${base}/readyz`)).status === 200 ? true : undefined),
      5000,
      '/readyz 200',
    );
    expect((await httpGet(`${base}/healthz`)).status).toBe(200);

    const metrics = await httpGet(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.contentType).toContain('text/plain');
    expect(metrics.body).toMatch(/^sidestream_batches_total\{app="demo",outcome="succeeded"\} [1-9]\d*$/m);
    expect(metrics.body).toMatch(
      /^sidestream_records_processed_total\{app="demo",stream="generator"\} [1-9]\d*$/m,
    );
    expect(metrics.body).toMatch(
      /^sidestream_last_batch_event_time_lag_avg_seconds\{app="demo",stream="generator"\} 0\.\d+$/m,
    );
    expect(metrics.body).toMatch(/^process_cpu_seconds_total\{app="demo"\} /m);
    // The agent runs on the Node that runs the tests (cli-process.ts spawns process.execPath), so
    // CI's node-matrix steps test the agent on each Node version, not the machine's own.
    const versionInfo = metrics.body.split('\n').find((line) => line.startsWith('nodejs_version_info{'));
    expect(versionInfo).toContain(`version="${process.version}"`);

    const open = await httpGet(`${base}/metrics`, { Accept: 'application/openmetrics-text; version=1.0.0' });
    expect(open.contentType).toContain('application/openmetrics-text');
    expect(open.body.trimEnd().endsWith('# EOF')).toBe(true);

    const batches = JSON.parse((await httpGet(`${base}/api/batches?limit=3`)).body) as Record<
      string,
      unknown
    >[];
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches.length).toBeLessThanOrEqual(3);
    const times = batches.map((b) => b.batchTime as number);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const [newest] = batches;
    expect(Object.keys(newest!).sort()).toEqual([...BATCH_RECORD_KEYS].sort());
    expect(newest).toMatchObject({ app: 'demo', outcome: 'succeeded', tasks: { failed: 0, retried: 0 } });
    const input = (newest!.inputs as Record<string, unknown>[])[0]!;
    expect(input).toMatchObject({ streamId: 0, name: 'generator', offsetRanges: [] });
    expect(Object.keys(input.eventTimeLagMs as object).sort()).toEqual(['avg', 'max', 'p50', 'p99']);
    expect((newest!.outputOperations as Record<string, unknown>[])[0]).toMatchObject({
      id: 0,
      name: 'foreachRDD',
      failureReason: null,
    });

    const status = await runCli(['status', '--http', `127.0.0.1:${port}`]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^BATCH TIME\s+RECORDS\s+SCHED\s+PROC\s+TOTAL\s+EVENT LAG\s+KAFKA LAG\s+OUTCOME\s+TASK FAILURES$/m,
    );
    // The demo's generator stamps event times; it is not Kafka.
    expect(status.stdout).toMatch(/\d+(ms|s)\s+-\s+succeeded/);
    expect(status.stdout).toMatch(/succeeded/);

    const started = Date.now();
    cli.child.kill('SIGTERM');
    const exit = await cli.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(cli.stderr()).toContain('stopped');
  });

  it('keeps Prometheus counter names after an OpenMetrics scrape', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    spawnCli(['demo', '--http', `127.0.0.1:${port}`, '--batch-interval', '200ms']);
    await eventually(async () => ((await httpGet(`${base}/readyz`)).status === 200 ? true : undefined));
    const open = await httpGet(`${base}/metrics`, { Accept: 'application/openmetrics-text' });
    expect(open.body).toMatch(/^# TYPE sidestream_batches counter$/m);
    expect(open.body).toMatch(/^sidestream_batches_total\{/m);
    const text = await httpGet(`${base}/metrics`);
    expect(text.body).toMatch(/^# TYPE sidestream_batches_total counter$/m);
    expect(text.body).not.toMatch(/^# EOF/m);
  });

  it('answers 404 with JSON for unknown paths and 400 for a bad limit', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    spawnCli(['demo', '--http', `127.0.0.1:${port}`, '--batch-interval', '200ms']);
    await eventually(async () => ((await httpGet(`${base}/healthz`)).status === 200 ? true : undefined));
    const missing = await httpGet(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: expect.stringContaining('/nope') });
    const bad = await httpGet(`${base}/api/batches?limit=0`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('limit');
  });
});
