/**
 * docs/metrics.md is generated from the catalogue (`npm run docs:metrics`): the committed page must
 * equal what the generator renders now, so a metric added, renamed or re-labelled without
 * regenerating the page fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS_DOC_PATH, renderMetricsDoc } from '../../scripts/generate-metrics-doc.js';
import { METRICS } from '../../src/telemetry/metrics.js';

describe('docs/metrics.md', () => {
  it('is what `npm run docs:metrics` generates from the catalogue (run it after changing metrics.ts)', () => {
    expect(readFileSync(METRICS_DOC_PATH, 'utf8')).toBe(renderMetricsDoc());
  });

  it('has one row per catalogue metric, with its dotted Graphite path', () => {
    const doc = renderMetricsDoc();
    for (const m of METRICS) expect(doc).toContain(`| \`${m.name}\` | ${m.type} | ${m.unit} |`);
    expect(doc).toContain('`sidestream.<app>.records_processed_total.<stream>`');
    expect(doc).toContain('`sidestream.<app>.batch_total_delay_seconds.{count,sum,avg,max,p50,p99}`');
  });
});
