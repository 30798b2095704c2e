/**
 * The alert bookkeeping of the false-alert soak (scripts/false-alert-soak.ts) against a real
 * Prometheus: its zero is only worth something if an alert that fires or stays pending is seen.
 * The target is a port where nothing listens, so `up == 0` from the first scrape: one rule fires
 * at once, one stays pending for an hour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/agent-process.js';
import { alertEvidence } from '../support/alert-evidence.js';
import { alertRuleHealth } from '../support/alert-rule-health.js';
import { AlertWatch } from '../support/alert-watch.js';
import {
  type PrometheusProcess,
  requirePrometheus,
  startPrometheus,
  waitFor,
} from '../support/prometheus.js';

const hasPrometheus = await requirePrometheus();

const RULES = `groups:
  - name: watch-test
    rules:
      - alert: DownAtOnce
        expr: up{job="sidestream"} == 0
        for: 0s
      - alert: DownForAnHour
        expr: up{job="sidestream"} == 0
        for: 1h
`;

describe.runIf(hasPrometheus)('AlertWatch, alertEvidence and alertRuleHealth on a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  beforeAll(async () => {
    prometheus = await startPrometheus([`127.0.0.1:${await freePort()}`], { rules: RULES });
  });
  afterAll(() => prometheus?.stop());

  it('records the firing and the pending alert, once each, and keeps the series behind them', async () => {
    const watch = new AlertWatch(prometheus.url);
    const changed = await waitFor(
      'both alerts',
      async () => {
        await watch.poll();
        const states = watch.episodes().map((e) => `${e.name}:${e.state}`);
        return states.includes('DownAtOnce:firing') && states.includes('DownForAnHour:pending')
          ? states
          : undefined;
      },
      20_000,
    );
    expect(changed.sort()).toEqual(['DownAtOnce:firing', 'DownForAnHour:pending']);
    await watch.poll();
    expect(watch.episodes()).toHaveLength(2);
    const firing = watch.episodes().find((e) => e.name === 'DownAtOnce');
    expect(firing?.labels).toMatchObject({ job: 'sidestream' });
    expect(firing?.firstFiringMs).toBeGreaterThan(0);

    // What the polls saw, the ALERTS series adds nothing to; to a watch that never polled, both.
    const history = await prometheus.query('ALERTS[5m]');
    expect(watch.mergeHistory(history)).toEqual([]);
    const unpolled = new AlertWatch(prometheus.url);
    const added = unpolled.mergeHistory(history).map((e) => `${e.name}:${e.state}:${e.fromHistory}`);
    expect(added.sort()).toEqual(['DownAtOnce:firing:true', 'DownForAnHour:pending:true']);

    if (!firing) throw new Error('unreachable: checked above');
    const evidence = await alertEvidence(prometheus.url, firing, 1);
    expect(evidence.expr).toBe('up{job="sidestream"} == 0');
    expect(Object.keys(evidence.series)).toEqual([evidence.expr, 'up']);
    const up = evidence.series.up?.[0]?.values ?? [];
    expect(up.length).toBeGreaterThan(0);
    expect(up.every(([, v]) => v === '0')).toBe(true);

    expect(await alertRuleHealth(prometheus.url)).toEqual({ loaded: 2, healthy: 2, errors: [] });
  });
});
