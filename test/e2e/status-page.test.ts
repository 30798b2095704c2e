/**
 * The status page (GET /) in a real headless Chromium against a real agent child process: it
 * loads with no console error, no failed request and no request anywhere but the agent; its
 * charts draw the live batches, the event-time lag line breaking where a batch had no records;
 * failed batches are highlighted, and the failed count is red only when not 0; the Configuration
 * section shows that it opens; with a token, the browser needs it (HTTP Basic, the token as the
 * password). Screenshots go to test-artifacts/ (git-ignored, kept by CI) for a person to look at.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentHttpServer } from '../../src/agent/http-server.js';
import type { CompletedBatchRecord } from '../../src/events/index.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { eventually, freePort, httpGet, killAll, REPO_ROOT, spawnCli } from '../support/cli-process.js';
import { createTopic, kafkaBrokers, newKafka, requireKafka, uniqueTopic } from '../support/services.js';

const hasChromium = await requireChromium();
const hasKafka = hasChromium && (await requireKafka());
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/** Everything the page did that a healthy page must not do. */
function watch(page: Page, base: string) {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) =>
    problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`),
  );
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:'))
      problems.push(`outside request: ${r.url()}`);
  });
  return problems;
}

async function pointsOf(page: Page, selector: string): Promise<number[]> {
  const paths = page.locator(selector);
  const counts: number[] = [];
  for (let i = 0; i < (await paths.count()); i++)
    counts.push(Number(await paths.nth(i).getAttribute('data-points')));
  return counts;
}

async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path, fullPage: true });
  console.log(`status page screenshot: ${path}`);
  return path;
}

describe.runIf(hasChromium)('status page in headless Chromium', () => {
  let browser: Browser | undefined;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'ss-status-page-'));
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(killAll);

  it('renders the demo: live charts, the batches table, no errors, nothing fetched from elsewhere', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    spawnCli(['demo', '--http', `127.0.0.1:${port}`, '--batch-interval', '500ms']);
    await eventually(
      async () => ((await httpGet(`${base}/readyz`)).status === 200 ? true : undefined),
      20_000,
      'the demo to be ready',
    );
    const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const problems = watch(page, base);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.locator('body[data-loaded="true"]').waitFor({ timeout: 10_000 });
    // A few more polls: the charts must grow with the batches.
    await eventually(
      async () => ((await pointsOf(page, '#chart-rate path.series'))[0]! >= 6 ? true : undefined),
      20_000,
      'six batches in the input rate chart',
    );

    expect(await page.locator('#app-name').textContent()).toBe('demo');
    expect(await page.locator('#state').textContent()).toBe('Running');
    const rate = await pointsOf(page, '#chart-rate path.series');
    expect(rate[0]).toBeGreaterThanOrEqual(6);
    const delays = await pointsOf(page, '#chart-delays path.series');
    expect(delays).toHaveLength(3);
    for (const n of delays) expect(n).toBeGreaterThanOrEqual(6);
    // The demo's generator stamps event times: lag avg and p99 for its one input.
    const lag = await pointsOf(page, '#chart-lag path.series');
    expect(lag).toHaveLength(2);
    expect(lag[0]).toBeGreaterThan(0);
    expect(await page.locator('#chart-kafka .chart-empty').textContent()).toContain('No Kafka');
    expect(await page.locator('#batches-body tr').count()).toBeGreaterThanOrEqual(6);
    expect(await page.locator('#batches-body tr.failed').count()).toBe(0);
    // Nothing failed: the 0 is plain, not red.
    expect(await page.locator('#failed').textContent()).toBe('0');
    expect(await page.locator('#failed').evaluate((e) => e.classList.contains('bad-text'))).toBe(false);
    expect(await page.locator('#inputs-body tr').count()).toBe(1);
    expect(await page.locator('#inputs-body td').first().textContent()).toBe('generator');
    expect(await page.locator('#rate').textContent()).toMatch(/\/s$/);

    // The hover tooltip shows the values at the nearest batch.
    const overlay = page.locator('#chart-delays rect.overlay');
    const box = (await overlay.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    expect(await page.locator('#chart-delays .tooltip').isVisible()).toBe(true);
    expect(await page.locator('#chart-delays .tooltip-row').count()).toBe(3);
    await page.mouse.move(0, 0);

    await screenshot(page, 'status-page.png');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('highlights failed batches, and with a token needs it (Basic, token as the password)', {
    timeout: 60_000,
  }, async () => {
    const job = join(dir, 'flaky-sink.mjs');
    await writeFile(
      job,
      `export default (ssc) => {
  let n = 0;
  ssc.generatorStream({ ratePerSec: 400, keys: 4, eventTimeLagMs: 150, eventTimeJitterMs: 100 })
    .foreachRDD(async (rdd) => {
      n++;
      if (n % 3 === 0) await rdd.foreachPartition(() => { throw new Error('sink unavailable: connection refused'); });
      else await rdd.count();
    });
};
`,
    );
    const token = 'status-page-test-token-0123456789';
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    spawnCli(
      [
        'run',
        job,
        '--http',
        `127.0.0.1:${port}`,
        '--batch-interval',
        '400ms',
        '--on-batch-failure',
        'continue',
        '--max-task-failures',
        '1',
      ],
      { env: { SIDESTREAM_HTTP_TOKEN: token } },
    );
    await eventually(
      async () => ((await httpGet(`${base}/healthz`)).status === 200 ? true : undefined),
      20_000,
      'the agent to answer',
    );

    // Without the token: 401 with a Basic challenge, which makes a browser prompt for it.
    const denied = await httpGet(`${base}/`);
    expect(denied.status).toBe(401);
    expect(denied.body).not.toContain('<html');

    const context = await browser!.newContext({
      viewport: { width: 1440, height: 1000 },
      httpCredentials: { username: 'ops', password: token },
    });
    const page = await context.newPage();
    const problems = watch(page, base);
    const answer = await page.goto(`${base}/`, { waitUntil: 'load' });
    expect(answer?.status()).toBe(200);
    await eventually(
      async () => ((await page.locator('#batches-body tr.failed').count()) >= 2 ? true : undefined),
      20_000,
      'two failed batches in the table',
    );
    const failedRow = page.locator('#batches-body tr.failed').first();
    expect(await failedRow.locator('.pill').textContent()).toBe('failed');
    expect(await failedRow.locator('td.reason').textContent()).toContain('sink unavailable');
    expect(await page.locator('#chart-delays line.failure-line').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#card-batches').getAttribute('class')).toContain('alert');
    expect(await page.locator('#config').textContent()).toContain('"httpToken": "[redacted]"');
    expect(await page.content()).not.toContain(token);

    await screenshot(page, 'status-page-failures.png');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('a dead broker and a refused socket: Not ready with the reasons as text, never "no Kafka direct stream"', {
    timeout: 60_000,
  }, async () => {
    const deadPort = await freePort();
    const job = join(dir, 'dead-upstreams.mjs');
    await writeFile(
      job,
      `export default (ssc) => {
  ssc.kafkaDirectStream({ brokers: ['127.0.0.1:${deadPort}'], topics: ['nowhere'], groupId: 'dead',
    kafka: { connectionTimeout: 300, retry: { retries: 0 }, logLevel: 0 } })
    .foreachRDD(async (rdd) => { await rdd.count(); });
  ssc.socketTextStream('127.0.0.1', ${deadPort}, { restartDelayMs: 200, maxRestartDelayMs: 500 })
    .foreachRDD(async (rdd) => { await rdd.count(); });
};
`,
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    spawnCli(['run', job, '--http', `127.0.0.1:${port}`, '--batch-interval', '500ms']);
    // Batches complete (empty), but the inputs are not connected: 503 with the reasons, as text.
    const readyz = await eventually(
      async () => {
        const r = await httpGet(`${base}/readyz`).catch(() => undefined);
        return r?.status === 503 &&
          !r.body.includes('no batch has completed yet') &&
          r.body.includes('socket:')
          ? r
          : undefined;
      },
      30_000,
      'a batch completed while the inputs are not connected',
    );
    expect(readyz.body).toMatch(/^not ready\n/);
    expect(readyz.body).toContain('input kafka:nowhere is not connected');
    expect(readyz.body).toMatch(
      new RegExp(`input socket:127\\.0\\.0\\.1:${deadPort} is not connected: .*ECONNREFUSED`),
    );

    const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
    const page = await context.newPage();
    const problems = watch(page, base);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.locator('body[data-loaded="true"]').waitFor({ timeout: 10_000 });
    await eventually(
      async () => ((await page.locator('#state').textContent()) === 'Not ready' ? true : undefined),
      10_000,
      'the Not ready badge',
    );
    const notice = page.locator('#readiness');
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toMatch(/^Not ready: .*input kafka:nowhere is not connected/);
    // The socket's reason is on the page as text, not in a tooltip.
    const socketRow = page.locator('#inputs-body tr', { hasText: 'socket:' });
    expect(await socketRow.locator('.detail').first().textContent()).toMatch(/ECONNREFUSED/);
    // The job has a Kafka direct stream: the empty chart says why it is empty.
    const empty = await page.locator('#chart-kafka .chart-empty').textContent();
    expect(empty).not.toContain('No Kafka direct stream');
    expect(empty).toContain('kafka:nowhere not connected');
    await screenshot(page, 'status-page-not-ready.png');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('draws Kafka consumer lag per partition and the partitions table (synthetic batch records)', async () => {
    const now = Date.now();
    const batches: CompletedBatchRecord[] = [];
    // Batches 10 and 11 read nothing: no records, no event-time lag, a gap in the lag chart.
    const idle = (i: number) => i === 10 || i === 11;
    for (let i = 0; i < 30; i++) {
      const t = now - (30 - i) * 1000;
      const lag = (p: number) => Math.max(0, (p + 1) * 400 - i * 10 * (p + 1));
      const records = idle(i) ? 0 : 900 + i * 20;
      batches.unshift({
        app: 'clicks',
        batchTime: t,
        submissionTime: t,
        generationDelayMs: 0,
        processingStartTime: t + 2,
        processingEndTime: t + 40 + (i % 7) * 15,
        schedulingDelayMs: 2,
        processingDelayMs: 38 + (i % 7) * 15,
        totalDelayMs: 40 + (i % 7) * 15,
        numRecords: records,
        outcome: i === 21 ? 'failed' : 'succeeded',
        inputs: [
          {
            streamId: 0,
            name: 'kafka:clicks',
            numRecords: records,
            offsetRanges: [],
            eventTimeLagMs: idle(i)
              ? null
              : { avg: 800 - i * 10, max: 1500 - i * 15, p50: 780 - i * 10, p99: 1400 - i * 15 },
            consumerLag: [0, 1, 2].map((p) => ({
              topic: 'clicks',
              partition: p,
              records: lag(p),
              seconds: lag(p) / 300,
              highWatermark: 10_000 + i * 300,
              committedOffset: 10_000 + i * 300 - lag(p),
            })),
          },
        ],
        outputOperations: [
          {
            id: 0,
            name: 'foreachRDD',
            startTime: t + 2,
            endTime: t + 40,
            failureReason: i === 21 ? 'Error: sink <b>unavailable</b>' : null,
          },
        ],
        tasks: { total: 3, failed: i === 21 ? 1 : 0, retried: 0 },
      });
    }
    const status = {
      app: 'clicks',
      version: '0.0.0-test',
      state: 'active',
      now,
      startTime: now - 3_600_000,
      uptimeSeconds: 3600,
      batchIntervalMs: 1000,
      ready: true,
      batchesWaiting: 0,
      inputs: [
        {
          streamId: 0,
          name: 'kafka:clicks',
          kind: 'kafka-direct',
          connected: true,
          disconnectedReason: null,
          lastResponseTime: now - 200,
          receiver: null,
          errors: 0,
          lastError: null,
          lastErrorTime: null,
        },
      ],
      kafka: {
        batchTime: batches[0]!.batchTime,
        partitions: batches[0]!.inputs[0]!.consumerLag!.map((p) => ({
          stream: 'kafka:clicks',
          topic: p.topic,
          partition: p.partition,
          lagRecords: p.records,
          lagSeconds: p.seconds ?? null,
          committedOffset: p.committedOffset,
          highWatermark: p.highWatermark,
        })),
      },
      lastCompletedBatch: null,
      checkpoint: {
        enabled: true,
        last: { batchTime: now - 2000, time: now - 1500, bytes: 2048, durationMs: 3 },
        failures: 0,
        lastFailure: null,
      },
      config: { app: 'clicks', httpToken: '[redacted]' },
    };
    const server = await AgentHttpServer.start({
      address: { host: '127.0.0.1', port: 0 },
      metrics: new MetricsRegistry('clicks'),
      source: { ready: true, recentBatches: (limit = 100) => batches.slice(0, limit) },
      status: () => status,
    });
    try {
      const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      const problems = watch(page, server.url);
      await page.goto(`${server.url}/`, { waitUntil: 'load' });
      await page.locator('body[data-loaded="true"]').waitFor({ timeout: 10_000 });
      expect(await pointsOf(page, '#chart-kafka path.series')).toEqual([30, 30, 30]);
      expect(await page.locator('#kafka-section').isVisible()).toBe(true);
      expect(await page.locator('#kafka-body tr').count()).toBe(3);
      expect(await page.locator('#batches-body tr.failed').count()).toBe(1);
      // Agent values are text, never markup.
      expect(await page.locator('#batches-body tr.failed td.reason').textContent()).toBe(
        'Error: sink <b>unavailable</b>',
      );
      expect(await page.locator('#batches-body b').count()).toBe(0);
      expect(await page.locator('#inputs-body tr').first().textContent()).not.toMatch(/undefined|NaN/);
      // One failed batch: the count is red.
      expect(await page.locator('#failed').textContent()).toBe('1');
      expect(await page.locator('#failed').evaluate((e) => e.classList.contains('bad-text'))).toBe(true);
      // The idle batches break the event-time lag lines (avg and p99) into two runs each.
      const lagLines = page.locator('#chart-lag path.series');
      expect(await pointsOf(page, '#chart-lag path.series')).toEqual([28, 28]);
      for (let i = 0; i < 2; i++) {
        expect(await lagLines.nth(i).getAttribute('data-segments')).toBe('2');
        expect((await lagLines.nth(i).getAttribute('d'))?.match(/M/g)).toHaveLength(2);
      }
      // Configuration: a visible marker and a pointer say it opens; a click opens it.
      const summary = page.locator('details summary');
      const looks = await summary.evaluate((e) => ({
        cursor: getComputedStyle(e).cursor,
        marker: getComputedStyle(e, '::before').content,
      }));
      expect(looks.cursor).toBe('pointer');
      expect(looks.marker).toBe('"\u25B8"');
      expect(await page.locator('#config').isVisible()).toBe(false);
      await summary.click();
      expect(await page.locator('#config').isVisible()).toBe(true);
      expect(await page.locator('#config').textContent()).toContain('"app": "clicks"');
      await screenshot(page, 'status-page-kafka.png');
      expect(problems).toEqual([]);
      await context.close();
    } finally {
      await server.close();
    }
  });

  it.runIf(hasKafka)(
    'shows a real Kafka direct stream catching up: lag per partition in /api/status and the page',
    {
      timeout: 90_000,
    },
    async () => {
      const topic = await createTopic(uniqueTopic('status-page'), 3);
      const producer = newKafka('status-page-producer').producer();
      await producer.connect();
      const messages = Array.from({ length: 3000 }, (_, i) => ({
        key: `k${i % 30}`,
        value: String(i),
        timestamp: String(Date.now() - 120_000 + i * 10),
      }));
      for (let i = 0; i < messages.length; i += 500)
        await producer.send({ topic, messages: messages.slice(i, i + 500) });
      await producer.disconnect();
      const job = join(dir, 'kafka-job.mjs');
      await writeFile(
        job,
        `export default (ssc) => {
  ssc.kafkaDirectStream({ brokers: ${JSON.stringify(kafkaBrokers())}, topics: [${JSON.stringify(topic)}],
    groupId: ${JSON.stringify(`${topic}-group`)}, startingOffsets: 'earliest', maxRatePerPartition: 200 })
    .foreachRDD(async (rdd) => { await rdd.count(); });
};
`,
      );
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      spawnCli(['run', job, '--http', `127.0.0.1:${port}`, '--batch-interval', '500ms']);
      // 200 records/s per partition and 1000 per partition: a few seconds of visible lag.
      const status = await eventually(
        async () => {
          const r = await httpGet(`${base}/api/status`).catch(() => undefined);
          if (r?.status !== 200) return undefined;
          const s = JSON.parse(r.body) as { kafka: { partitions: { lagRecords: number }[] } | null };
          return (s.kafka?.partitions.length ?? 0) === 3 && s.kafka!.partitions.some((p) => p.lagRecords > 0)
            ? s
            : undefined;
        },
        30_000,
        'three lagging partitions in /api/status',
      );
      expect(status.kafka!.partitions).toHaveLength(3);

      const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 } });
      const page = await context.newPage();
      const problems = watch(page, base);
      await page.goto(`${base}/`, { waitUntil: 'load' });
      await page.locator('body[data-loaded="true"]').waitFor({ timeout: 10_000 });
      await eventually(
        async () => {
          const counts = await pointsOf(page, '#chart-kafka path.series');
          return counts.length === 3 && counts.every((n) => n >= 3) ? true : undefined;
        },
        20_000,
        'three partitions with three batches each in the Kafka lag chart',
      );
      expect(await page.locator('#kafka-body tr').count()).toBe(3);
      expect(await page.locator('#inputs-body td').first().textContent()).toContain(topic);
      await screenshot(page, 'status-page-kafka-live.png');
      expect(problems).toEqual([]);
      await context.close();
    },
  );
});
