/**
 * Clicks per page, in plain JavaScript: synthetic click events from the embedded generator
 * (ten pages, events arriving ~300ms after they happened), counted per batch and over a sliding
 * 30-second window.
 *
 *   sidestream run examples/clicks.mjs --batch-interval 1s
 *   curl -s 127.0.0.1:9464/metrics | grep sidestream_last_batch
 */

/** @param {import('sidestream').StreamingContext} ssc */
export default function clicks(ssc) {
  const windowMs = Math.ceil(30_000 / ssc.batchIntervalMs) * ssc.batchIntervalMs;
  const pageClicks = ssc
    .generatorStream({ ratePerSec: 500, keys: 10, eventTimeLagMs: 300, eventTimeJitterMs: 100 })
    .map((event) => [event.key.replace('key-', '/page/'), 1])
    .reduceByKey((a, b) => a + b);

  pageClicks.foreachRDD(async (rdd, batchTimeMs) => {
    const clicksThisBatch = (await rdd.collect()).reduce((sum, [, n]) => sum + n, 0);
    console.log(`clicks ${new Date(batchTimeMs).toISOString()} total=${clicksThisBatch}`);
  });

  pageClicks
    .reduceByKeyAndWindow(
      (a, b) => a + b,
      windowMs,
      ssc.batchIntervalMs,
      (a, b) => a - b,
    )
    .foreachRDD(async (rdd) => {
      const top = (await rdd.collect()).sort((a, b) => b[1] - a[1]).slice(0, 3);
      console.log(`top pages over ${windowMs / 1000}s: ${top.map(([page, n]) => `${page}=${n}`).join(' ')}`);
    });
}
