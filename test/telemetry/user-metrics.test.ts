/** ssc.metrics: user counters, gauges and histograms on the context's registry, with `app`. */
import { describe, expect, it } from 'vitest';
import { MetricsRegistry, StreamingContext } from '../../src/index.js';
import { PrometheusListener } from '../../src/telemetry/prometheus-listener.js';
import { manualContexts } from '../support/manual-contexts.js';
import { startManual } from '../support/manual-run.js';
import { stopAfterEach } from '../support/stop-after-each.js';

const manualContext = manualContexts();
const stopLater = stopAfterEach();

describe('ssc.metrics', () => {
  it('registers each kind; a job updates them and the registry text shows them with app', async () => {
    const { ssc, clock } = manualContext({ appName: 'shop', batchIntervalMs: 1000, defaultParallelism: 1 });
    const orders = ssc.metrics.counter('shop_orders_total', 'Orders seen, by country.', ['country']);
    const basket = ssc.metrics.gauge('shop_last_basket_items', 'Items in the last basket.');
    const amounts = ssc.metrics.histogram(
      'shop_order_amount_euros',
      'Order amounts.',
      ['country'],
      [10, 100],
    );
    ssc
      .queueStream([
        [
          { country: 'fr', items: 2, amount: 5 },
          { country: 'de', items: 4, amount: 50 },
        ],
      ])
      .foreachRDD(async (rdd) => {
        for (const o of await rdd.collect()) {
          orders.inc({ country: o.country });
          basket.set({}, o.items);
          amounts.observe({ country: o.country }, o.amount);
        }
      });
    const run = await startManual(ssc, clock);
    await run.step();
    const text = await ssc.metrics.registry.registry.metrics();
    expect(text).toContain('# HELP shop_orders_total Orders seen, by country.');
    expect(text).toContain('shop_orders_total{app="shop",country="fr"} 1');
    expect(text).toContain('shop_orders_total{app="shop",country="de"} 1');
    expect(text).toContain('shop_last_basket_items{app="shop"} 4');
    expect(text).toContain('shop_order_amount_euros_bucket{le="10",app="shop",country="fr"} 1');
    expect(text).toContain('shop_order_amount_euros_bucket{le="100",app="shop",country="de"} 1');
    expect(text).toContain('shop_order_amount_euros_sum{app="shop",country="de"} 50');
  });

  it('uses a registry passed in the options, next to the catalogue metrics', async () => {
    const registry = new MetricsRegistry('given');
    const ssc = stopLater(
      new StreamingContext({ appName: 'given', batchIntervalMs: 1000, metricsRegistry: registry }),
    );
    expect(ssc.metrics.registry).toBe(registry);
    ssc.addStreamingListener(new PrometheusListener(registry.registry, ssc, '0.0.0'));
    ssc.metrics.counter('given_things_total', 'Things.').inc();
    const body = (await registry.render()).body;
    expect(body).toContain('given_things_total{app="given"} 1');
    expect(body).toContain('sidestream_batches_total');
  });

  it('rejects invalid, reserved and clashing names and labels with SS_METRIC_INVALID', () => {
    const ssc = stopLater(new StreamingContext({ appName: 'bad', batchIntervalMs: 1000 }));
    const m = ssc.metrics;
    m.counter('bad_taken_total', 'Taken.');
    const cases: [() => unknown, string][] = [
      [() => m.counter('Bad-Name', 'x'), "metric name 'Bad-Name' is invalid"],
      [() => m.gauge('1starts_with_digit', 'x'), "metric name '1starts_with_digit' is invalid"],
      [() => m.counter('sidestream_mine_total', 'x'), "starts with 'sidestream_', which is reserved"],
      [() => m.counter('bad_taken_total', 'again'), "metric 'bad_taken_total' is already registered"],
      [() => m.gauge('process_cpu_seconds_total', 'x'), "starts with 'process_', which is reserved"],
      [() => m.gauge('nodejs_mine', 'x'), "starts with 'nodejs_', which is reserved"],
      [() => m.counter('bad_empty_help', ' '), 'needs a help text'],
      [() => m.counter('bad_app_total', 'x', ['app']), "label 'app' is reserved"],
      [() => m.counter('bad_label_total', 'x', ['bad-label']), "label name 'bad-label' is invalid"],
      [() => m.counter('bad_label2_total', 'x', ['__x']), "label name '__x' is invalid"],
      [() => m.counter('bad_twice_total', 'x', ['a', 'a']), "label 'a' is listed twice"],
      [() => m.histogram('bad_buckets', 'x', [], [5, 1]), 'buckets must be a non-empty list'],
      [() => m.histogram('bad_no_buckets', 'x', [], []), 'buckets must be a non-empty list'],
    ];
    for (const [call, message] of cases) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, message).toMatchObject({ code: 'SS_METRIC_INVALID' });
      expect((error as Error).message).toContain(message);
    }
  });
});
