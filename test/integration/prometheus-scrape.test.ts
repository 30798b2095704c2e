/**
 * The agent's /metrics scraped by a REAL Prometheus (Debian's 2.42, installed by
 * `scripts/services.sh up prometheus`). The agent runs as a child process on a free port with a
 * 500 ms batch interval and test/integration/fixtures/lagged-queue.ts: five batches of records
 * whose event times are 60 s old, then the input stops (the fixture holds the first empty batch,
 * so the metrics stay at the last batch with records). This test starts its own Prometheus on a
 * free port (tsdb in a temp dir, scrape_interval 1s) pointed at the agent, waits until it has
 * scraped twice after the last batch, and compares what Prometheus's query API returns with what
 * the agent's GET /api/batches says.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requirePrometheus } from '../support/prometheus.js';
import { scrapedAgent } from '../support/scraped-agent.js';
import { SIZES } from './fixtures/lagged-queue.js';

const JOB = fileURLToPath(new URL('./fixtures/lagged-queue.ts', import.meta.url));
const BATCH_INTERVAL_MS = 500;
const LAG_S = 60;
/** Scheduling delay and timer jitter on a busy CI machine, on top of one batch interval. */
const LAG_SLACK_S = 1;

const hasPrometheus = await requirePrometheus();

describe.runIf(hasPrometheus)('Prometheus scraping the agent', () => {
  const app = `prom-it-${Date.now().toString(36)}-${process.pid}`;
  const scraped = scrapedAgent({ job: JOB, app, batchInterval: `${BATCH_INTERVAL_MS}ms` });
  const promQuery = (query: string) => scraped.prometheus().query(query);

  /** The one series `query` selects, as a number. */
  async function promValue(query: string): Promise<number> {
    const result = await promQuery(query);
    expect(result, `${query} selects one series`).toHaveLength(1);
    return Number(result[0]!.value![1]);
  }

  it('the query API returns the values the batch records give, and a 60 s event-time lag', async () => {
    const selector = `app="${app}"`;
    const totalRecords = SIZES.reduce((a, b) => a + b, 0);

    // 1. The input's batches have all completed (the fixture then holds the next, empty one).
    const records = await scraped.waitForBatches(SIZES.length, 30_000);
    const byTime = [...records].sort((a, b) => a.batchTime - b.batchTime);
    expect(byTime.map((b) => b.numRecords)).toEqual(SIZES);
    const last = byTime.at(-1)!;
    const lastEndS = last.processingEndTime! / 1000;

    // 2. Prometheus has scraped the agent successfully at least twice after the last batch ended.
    const scrapesAfter = await scraped.waitForScrapesAfter(lastEndS, 20_000);
    expect(scrapesAfter).toBeGreaterThanOrEqual(2);

    // Nothing completed meanwhile: the records read now are the ones the scrapes saw.
    const final = await scraped.batches();
    expect(final).toHaveLength(records.length);

    // 3. The same numbers through Prometheus and through the batch records.
    const succeeded = final.filter((b) => b.outcome === 'succeeded').length;
    expect(succeeded).toBe(SIZES.length);
    expect(await promValue(`sidestream_batches_total{${selector},outcome="succeeded"}`)).toBe(succeeded);
    expect(await promValue(`sidestream_batches_total{${selector},outcome="failed"}`)).toBe(0);

    const processed = final.flatMap((b) => b.inputs).reduce((n, input) => n + input.numRecords, 0);
    expect(processed).toBe(totalRecords);
    expect(await promValue(`sidestream_records_processed_total{${selector},stream="queue"}`)).toBe(processed);

    expect(await promValue(`sidestream_last_batch_records{${selector}}`)).toBe(last.numRecords);
    expect(await promValue(`sidestream_last_completed_batch_timestamp_seconds{${selector}}`)).toBe(
      last.processingEndTime! / 1000,
    );

    // 4. Event-time lag: 60 s plus at most one batch interval (and slack), in both places.
    const lagHigh = LAG_S + BATCH_INTERVAL_MS / 1000 + LAG_SLACK_S;
    for (const b of final) {
      const lag = b.inputs[0]!.eventTimeLagMs!;
      expect(lag, `batch ${b.batchTime} has an event-time lag`).not.toBeNull();
      expect(lag.avg / 1000).toBeGreaterThanOrEqual(LAG_S);
      expect(lag.avg / 1000).toBeLessThanOrEqual(lagHigh);
    }
    const recordLag = last.inputs[0]!.eventTimeLagMs!.avg / 1000;
    const promLag = await promValue(
      `sidestream_last_batch_event_time_lag_avg_seconds{${selector},stream="queue"}`,
    );
    expect(promLag).toBe(recordLag);
    expect(promLag).toBeGreaterThanOrEqual(LAG_S);
    expect(promLag).toBeLessThanOrEqual(lagHigh);
  }, 60_000);
});
