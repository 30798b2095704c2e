/**
 * User metric updates take prom-client's call shapes and mean what they mean in prom-client (each
 * accepted call is made on a prom-client metric too, and the series compared); every other call
 * throws SS_METRIC_INVALID naming the metric and the fix, and changes and records nothing.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { UserMetrics } from '../../src/telemetry/user-metrics.js';

type Call = readonly unknown[];

/** A prom-client metric's series as label-string -> value, app label left out. */
async function series(metric: {
  get(): Promise<{ values: { labels: object; value: number; metricName?: string }[] }>;
}) {
  const { values } = await metric.get();
  return Object.fromEntries(
    values.map((v) => {
      const { app: _app, ...labels } = v.labels as Record<string, unknown>;
      return [`${v.metricName ?? ''}${JSON.stringify(labels)}`, v.value];
    }),
  );
}

function userMetrics() {
  const registry = new MetricsRegistry('t');
  return { m: new UserMetrics('t', registry), registry: registry.registry };
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

const invoke = (target: object, method: string, args: Call) =>
  (target as Record<string, (...a: unknown[]) => void>)[method]!(...args);

describe('accepted shapes mean what they mean in prom-client', () => {
  const counterCalls: Call[] = [
    [],
    [150],
    [0],
    [{ country: 'fr' }],
    [{ country: 'fr' }, 3],
    [{ country: 'de' }, 2.5],
    [{}, 4],
    [{ country: 'fr' }, undefined],
    [{ country: undefined }, 2],
  ];
  it.each(counterCalls.map((c) => [JSON.stringify(c) ?? '', c] as const))(
    'counter inc(%s)',
    async (_, call) => {
      const { m, registry } = userMetrics();
      const mine = m.counter('t_orders_total', 'Orders.', ['country']);
      invoke(mine, 'inc', call);
      const prom = new Counter({
        name: 'p_orders_total',
        help: 'Orders.',
        labelNames: ['country'],
        registers: [new Registry()],
      });
      invoke(prom, 'inc', call);
      const ours = await series(registry.getSingleMetric('t_orders_total') as Counter);
      expect(Object.keys(ours)).toHaveLength(1);
      expect(ours).toEqual(await series(prom));
    },
  );

  const gaugeCalls: [string, Call][] = [
    ['set', [5]],
    ['set', [-2.5]],
    ['set', [{ country: 'fr' }, 5]],
    ['inc', []],
    ['inc', [7]],
    ['inc', [-7]],
    ['inc', [{ country: 'fr' }]],
    ['inc', [{ country: 'fr' }, 3]],
    ['dec', []],
    ['dec', [4]],
    ['dec', [{ country: 'fr' }]],
    ['dec', [{ country: 'fr' }, 3]],
  ];
  it.each(gaugeCalls.map(([method, c]) => [`${method}(${JSON.stringify(c)})`, method, c] as const))(
    'gauge %s',
    async (_, method, call) => {
      const { m, registry } = userMetrics();
      const mine = m.gauge('t_level', 'Level.', ['country']);
      // A second call on top of the first, to see that set replaces and inc/dec accumulate.
      invoke(mine, method, call);
      invoke(mine, method, call);
      const prom = new Gauge({
        name: 'p_level',
        help: 'Level.',
        labelNames: ['country'],
        registers: [new Registry()],
      });
      invoke(prom, method, call);
      invoke(prom, method, call);
      expect(await series(registry.getSingleMetric('t_level') as Gauge)).toEqual(await series(prom));
    },
  );

  const histogramCalls: Call[] = [[0.3], [7], [-1], [{ country: 'fr' }, 0.3], [{}, 2]];
  it.each(histogramCalls.map((c) => [JSON.stringify(c), c] as const))(
    'histogram observe(%s)',
    async (_, call) => {
      const { m, registry } = userMetrics();
      const mine = m.histogram('t_wait_seconds', 'Waits.', ['country'], [0.5, 5]);
      invoke(mine, 'observe', call);
      const prom = new Histogram({
        name: 't_wait_seconds',
        help: 'Waits.',
        labelNames: ['country'],
        buckets: [0.5, 5],
        registers: [new Registry()],
      });
      invoke(prom, 'observe', call);
      const ours = await series(registry.getSingleMetric('t_wait_seconds') as unknown as Histogram);
      expect(ours).toEqual(await series(prom));
      expect(Object.values(ours).some((v) => v > 0)).toBe(true);
    },
  );

  it('inc(150) on a counter adds 150, not 1 (the call that used to be misread)', async () => {
    const { m, registry } = userMetrics();
    const c = m.counter('t_bytes_total', 'Bytes.');
    c.inc(150);
    c.inc();
    const { values } = await (registry.getSingleMetric('t_bytes_total') as Counter).get();
    expect(values).toEqual([{ labels: { app: 't' }, value: 151 }]);
  });
});

describe('refused calls', () => {
  const counter = (m: UserMetrics) => m.counter('t_orders_total', 'Orders.', ['country']);
  const gauge = (m: UserMetrics) => m.gauge('t_level', 'Level.', ['country']);
  const histogram = (m: UserMetrics) => m.histogram('t_wait_seconds', 'Waits.', ['country']);
  const cases: [string, (m: UserMetrics) => object, string, Call, string[]][] = [
    ['counter NaN', counter, 'inc', [Number.NaN], ['got NaN as the value', 'inc(3)']],
    ['counter Infinity', counter, 'inc', [Number.POSITIVE_INFINITY], ['got Infinity']],
    ['counter labelled NaN', counter, 'inc', [{ country: 'fr' }, Number.NaN], ['got NaN']],
    ['counter negative', counter, 'inc', [-1], ['inc(-1) would decrease a counter', 'use a gauge']],
    ['counter labelled negative', counter, 'inc', [{ country: 'fr' }, -3], ['inc(-3) would decrease']],
    [
      'counter string value',
      counter,
      'inc',
      ['150'],
      ['got the string "150" where', "inc({ country: 'x' }, 3)"],
    ],
    [
      'counter labelled string value',
      counter,
      'inc',
      [{ country: 'fr' }, '3'],
      ['got the string "3" as the value'],
    ],
    [
      'counter undeclared label',
      counter,
      'inc',
      [{ city: 'lyon' }],
      ["label 'city' was not declared (declared: country)", "ssc.metrics.counter('t_orders_total'"],
    ],
    ['counter app label', counter, 'inc', [{ app: 'other' }], ["label 'app' is set by sidestream"]],
    [
      'counter value then labels',
      counter,
      'inc',
      [3, { country: 'fr' }],
      ['got a value followed by a second argument'],
    ],
    ['counter two numbers', counter, 'inc', [3, 4], ['got a value followed by a second argument']],
    ['counter three arguments', counter, 'inc', [{ country: 'fr' }, 1, 2], ['got 3 arguments']],
    ['counter null labels', counter, 'inc', [null, 5], ['got null where the labels object']],
    ['counter undefined labels', counter, 'inc', [undefined, 5], ['got undefined where the labels object']],
    ['counter array labels', counter, 'inc', [['fr'], 5], ['got an array']],
    ['counter Map labels', counter, 'inc', [new Map([['country', 'fr']]), 5], ['a value of type Map']],
    ['counter boolean', counter, 'inc', [true], ['a value of type boolean']],
    ['counter bigint', counter, 'inc', [{ country: 'fr' }, 5n], ['a value of type bigint as the value']],
    [
      'counter object label value',
      counter,
      'inc',
      [{ country: { code: 'fr' } }],
      ["label 'country' has a value of type Object"],
    ],
    ['counter NaN label value', counter, 'inc', [{ country: Number.NaN }], ["label 'country' has NaN"]],
    [
      'gauge set without value',
      gauge,
      'set',
      [],
      ['set() needs a value', "set(5) or set({ country: 'x' }, 5)"],
    ],
    ['gauge set labels only', gauge, 'set', [{ country: 'fr' }], ['set() got labels but no value']],
    ['gauge set NaN', gauge, 'set', [Number.NaN], ['got NaN']],
    ['gauge set -Infinity', gauge, 'set', [{ country: 'fr' }, Number.NEGATIVE_INFINITY], ['got -Infinity']],
    ['gauge set string', gauge, 'set', [{ country: 'fr' }, '5'], ['got the string "5" as the value']],
    ['gauge inc NaN', gauge, 'inc', [Number.NaN], ['got NaN']],
    ['gauge dec string', gauge, 'dec', ['1'], ['got the string "1" where']],
    ['gauge dec undeclared label', gauge, 'dec', [{ city: 'x' }, 1], ["label 'city' was not declared"]],
    [
      'histogram observe without value',
      histogram,
      'observe',
      [],
      ['observe() needs a value', 'observe(0.3)'],
    ],
    ['histogram observe labels only', histogram, 'observe', [{ country: 'fr' }], ['got labels but no value']],
    ['histogram observe NaN', histogram, 'observe', [Number.NaN], ['got NaN']],
    ['histogram observe string', histogram, 'observe', ['0.3'], ['got the string "0.3" where']],
    [
      'histogram observe undeclared label',
      histogram,
      'observe',
      [{ city: 'x' }, 1],
      ["label 'city' was not declared"],
    ],
    [
      'histogram observe value then labels',
      histogram,
      'observe',
      [0.3, { country: 'fr' }],
      ['followed by a second argument'],
    ],
  ];
  it.each(cases)('%s', async (_, declare, method, call, messages) => {
    const { m, registry } = userMetrics();
    m.startRecording();
    const metric = declare(m);
    const name = registry.getMetricsAsArray().find((x) => x.name.startsWith('t_'))!.name;
    const before = await registry.getSingleMetricAsString(name);
    const error = thrown(() => invoke(metric, method, call));
    expect(error).toMatchObject({ code: 'SS_METRIC_INVALID' });
    const message = (error as Error).message;
    expect(message).toContain(`'${name}'`);
    for (const part of messages) expect(message).toContain(part);
    // Refused means untouched: no series changed, nothing recorded for a driver to replay.
    expect(await registry.getSingleMetricAsString(name)).toBe(before);
    expect(m.drainRecorded()).toEqual([]);
  });

  it('the types take both shapes and refuse the others (tsc checks the @ts-expect-error lines)', () => {
    const { m } = userMetrics();
    const c = m.counter('t_typed_total', 'Typed.', ['country']);
    const g = m.gauge('t_typed_level', 'Typed.', ['country']);
    const h = m.histogram('t_typed_seconds', 'Typed.', ['country']);
    c.inc();
    c.inc(150);
    c.inc({ country: 'fr' });
    c.inc({ country: 'fr' }, 3);
    g.set(5);
    g.set({ country: 'fr' }, 5);
    g.dec(2);
    h.observe(0.3);
    h.observe({ country: 'fr' }, 0.3);
    const refused: (() => void)[] = [
      // @ts-expect-error the value before the labels
      () => c.inc(3, { country: 'fr' }),
      // @ts-expect-error a label that was not declared
      () => c.inc({ city: 'lyon' }),
      // @ts-expect-error a string value
      () => c.inc('150'),
      // @ts-expect-error set needs a value
      () => g.set({ country: 'fr' }),
      // @ts-expect-error observe needs a value
      () => h.observe(),
    ];
    for (const call of refused) expect(thrown(call)).toMatchObject({ code: 'SS_METRIC_INVALID' });
  });

  it('a metric without labels suggests only the value shapes', () => {
    const { m } = userMetrics();
    const c = m.counter('t_plain_total', 'Plain.');
    const message = (thrown(() => c.inc('x' as never)) as Error).message;
    expect(message).toContain('inc() or inc(3)');
    expect(message).not.toContain('{');
  });
});

describe('updates made in an executor worker, replayed on the driver', () => {
  it('records every accepted shape as labels and value, and the driver ends with the same series', async () => {
    const worker = userMetrics();
    const driver = userMetrics();
    const declare = ({ m }: ReturnType<typeof userMetrics>) => ({
      c: m.counter('t_orders_total', 'Orders.', ['country']),
      g: m.gauge('t_level', 'Level.', ['country']),
      h: m.histogram('t_wait_seconds', 'Waits.', ['country'], [1, 10]),
    });
    const w = declare(worker);
    declare(driver);
    worker.m.startRecording();
    w.c.inc();
    w.c.inc(150);
    w.c.inc({ country: 'fr' });
    w.c.inc({ country: 'fr' }, 3);
    w.g.set(5);
    w.g.set({ country: 'fr' }, 9);
    w.g.inc(2);
    w.g.dec({ country: 'fr' }, 4);
    w.h.observe(0.3);
    w.h.observe({ country: 'fr' }, 20);
    const ops = w && worker.m.drainRecorded();
    expect(ops.map((o) => o.op)).toEqual([
      'inc',
      'inc',
      'inc',
      'inc',
      'set',
      'set',
      'inc',
      'dec',
      'observe',
      'observe',
    ]);
    // Through the structured clone a worker's message goes through.
    driver.m.applyRemote(structuredClone(ops));
    for (const name of ['t_orders_total', 't_level', 't_wait_seconds']) {
      expect(await driver.registry.getSingleMetricAsString(name)).toBe(
        await worker.registry.getSingleMetricAsString(name),
      );
    }
  });

  it('skips a replayed op the driver refuses, and applies the others', async () => {
    const { m, registry } = userMetrics();
    m.counter('t_orders_total', 'Orders.', ['country']);
    m.applyRemote([
      { name: 't_orders_total', op: 'inc', labels: {}, value: -5 },
      { name: 't_orders_total', op: 'inc', labels: { city: 'x' }, value: 1 },
      { name: 't_orders_total', op: 'inc', labels: {}, value: Number.NaN },
      { name: 't_unknown_total', op: 'inc', labels: {}, value: 1 },
      { name: 't_orders_total', op: 'inc', labels: { country: 'fr' }, value: 2 },
    ]);
    const { values } = await (registry.getSingleMetric('t_orders_total') as Counter).get();
    expect(values).toEqual([{ labels: { app: 't', country: 'fr' }, value: 2 }]);
  });
});
