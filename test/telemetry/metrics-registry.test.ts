import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry, prefersOpenMetrics } from '../../src/telemetry/metrics-registry.js';

describe('MetricsRegistry', () => {
  it('renders Prometheus text by default and OpenMetrics when asked', async () => {
    const metrics = new MetricsRegistry('t');
    const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['app'], registers: [metrics.registry] });
    c.inc({ app: 't' }, 3);
    const text = await metrics.render();
    expect(text.contentType).toContain('text/plain');
    expect(text.body).toMatch(/^x_total\{app="t"\} 3$/m);
    expect(text.body).toMatch(/^process_cpu_user_seconds_total\{app="t"\} /m);

    const open = await metrics.render('application/openmetrics-text;version=1.0.0');
    expect(open.contentType).toContain('application/openmetrics-text');
    expect(open.body).toMatch(/^# TYPE x counter$/m);
    expect(open.body).toMatch(/^x_total\{app="t"\} 3$/m);
    expect(open.body.endsWith('# EOF\n')).toBe(true);

    // prom-client renames counters while rendering OpenMetrics; the names must come back.
    const again = await metrics.render();
    expect(again.body).toMatch(/^# TYPE x_total counter$/m);
  });

  it('keeps concurrent renders of both formats apart', async () => {
    const metrics = new MetricsRegistry('t');
    new Counter({ name: 'y_total', help: 'y', registers: [metrics.registry] }).inc();
    const results = await Promise.all([
      metrics.render('application/openmetrics-text'),
      metrics.render(),
      metrics.render('application/openmetrics-text'),
      metrics.render(),
    ]);
    expect(results.map((r) => r.body.includes('# EOF'))).toEqual([true, false, true, false]);
    expect(results[1]!.body).toMatch(/^# TYPE y_total counter$/m);
    expect(results[3]!.body).toMatch(/^# TYPE y_total counter$/m);
  });

  it('negotiates the format from the Accept header', () => {
    expect(prefersOpenMetrics(undefined)).toBe(false);
    expect(prefersOpenMetrics('text/plain')).toBe(false);
    expect(prefersOpenMetrics('*/*')).toBe(false);
    expect(prefersOpenMetrics('application/openmetrics-text; version=1.0.0')).toBe(true);
    // What Prometheus itself sends.
    expect(
      prefersOpenMetrics(
        'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1',
      ),
    ).toBe(true);
    expect(prefersOpenMetrics('application/openmetrics-text;q=0.2,text/plain;q=0.9')).toBe(false);
    expect(prefersOpenMetrics('application/openmetrics-text;q=0')).toBe(false);
  });
});
