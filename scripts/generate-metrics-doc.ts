/**
 * Writes docs/metrics.md from the metric catalogue (src/telemetry/metrics.ts) and the Graphite
 * naming function (src/telemetry/graphite-naming.ts): `npm run docs:metrics`.
 * test/telemetry/metrics-doc.test.ts fails when the committed page differs from what this renders,
 * so the reference cannot drift from the catalogue.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { graphiteName } from '../src/telemetry/graphite-naming.js';
import { METRICS, type MetricSpec } from '../src/telemetry/metrics.js';

export const METRICS_DOC_PATH = fileURLToPath(new URL('../docs/metrics.md', import.meta.url));

/** The histogram statistics the Graphite exporter sends (docs/reference.md). */
const HISTOGRAM_STATS = ['count', 'sum', 'avg', 'max', 'p50', 'p99'];

/** A dotted Graphite path with `<app>` and `<label>` placeholders (the default prefix). */
function graphitePattern(spec: MetricSpec): string {
  // Placeholders that survive sanitising unchanged, swapped for `<name>` afterwards.
  const token = (i: number) => `PLACEHOLDER${i}X`;
  const labels: Record<string, string> = {};
  spec.labelNames.forEach((l, i) => {
    labels[l] = token(i);
  });
  let path = graphiteName(spec, labels, { app: 'APPPLACEHOLDERX' });
  path = path.replace('APPPLACEHOLDERX', '<app>');
  spec.labelNames.forEach((l, i) => {
    path = path.replace(token(i), `<${l}>`);
  });
  return spec.type === 'histogram' ? `${path}.{${HISTOGRAM_STATS.join(',')}}` : path;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

export function renderMetricsDoc(): string {
  const lines = [
    '# Metrics reference',
    '',
    '<!-- Generated from src/telemetry/metrics.ts by `npm run docs:metrics`; do not edit by hand. -->',
    '',
    'Every metric sidestream records, from the one catalogue (`src/telemetry/metrics.ts`). Every',
    'series also carries the label `app`; the labels below are the others, in catalogue order, which',
    'is the order the Graphite path appends their values in. Histograms are exported to Prometheus',
    'as `_bucket`/`_sum`/`_count` and to Graphite as the statistics in braces.',
    '',
    'Graphite paths use the default prefix `sidestream` and dotted naming; with `naming: tagged` a',
    'series is `<name>;app=<app>;<label>=<value>...` instead (see `src/telemetry/graphite-naming.ts`).',
    'User metrics declared with `ssc.metrics` (docs/telemetry.md) are exported next to these.',
    '',
    '| Name | Type | Unit | Labels | Meaning | Graphite path |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const spec of METRICS as readonly MetricSpec[]) {
    const labels = ['app', ...spec.labelNames].map((l) => `\`${l}\``).join(', ');
    lines.push(
      `| \`${spec.name}\` | ${spec.type} | ${spec.unit} | ${labels} | ${cell(spec.help)} | \`${graphitePattern(spec)}\` |`,
    );
  }
  const histograms = (METRICS as readonly MetricSpec[]).filter((m) => m.buckets);
  if (histograms.length > 0) {
    lines.push('', '## Histogram buckets', '');
    for (const spec of histograms) {
      lines.push(`- \`${spec.name}\` (${spec.unit}): ${spec.buckets!.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(METRICS_DOC_PATH, renderMetricsDoc());
  console.log(`wrote ${METRICS_DOC_PATH}`);
}
