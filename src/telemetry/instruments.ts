/**
 * The instrument factories: each creates one catalogue metric (src/telemetry/metrics.ts) by its
 * catalogue name on a registry, with the catalogue's help, buckets and labels (`app` first). Who
 * creates a metric this way cannot misspell its name, type or labels.
 *
 * Every histogram is a BulkHistogram, never a prom-client Histogram: MetricsReader reads its
 * series as data instead of re-parsing rendered `_bucket` samples.
 */
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import { BulkHistogram } from './bulk-histogram.js';
import { type LabelOf, type MetricName, type MetricNameOf, metricSpec } from './metrics.js';

export type AnyRegistry = Registry<RegistryContentType>;

function labelNamesOf<N extends MetricName>(name: N): LabelOf<N>[] {
  return ['app', ...metricSpec(name).labelNames] as LabelOf<N>[];
}

export function counter<N extends MetricNameOf<'counter'>>(
  registry: AnyRegistry,
  name: N,
): Counter<LabelOf<N>> {
  return new Counter({
    name,
    help: metricSpec(name).help,
    labelNames: labelNamesOf(name),
    registers: [registry],
  });
}

/** A gauge; `collect`, when given, sets its value each time the registry is read. */
export function gauge<N extends MetricNameOf<'gauge'>>(
  registry: AnyRegistry,
  name: N,
  collect?: (g: Gauge<LabelOf<N>>) => void,
): Gauge<LabelOf<N>> {
  return new Gauge({
    name,
    help: metricSpec(name).help,
    labelNames: labelNamesOf(name),
    registers: [registry],
    ...(collect
      ? {
          collect(this: Gauge<LabelOf<N>>) {
            collect(this);
          },
        }
      : {}),
  });
}

export function histogram<N extends MetricNameOf<'histogram'>>(
  registry: AnyRegistry,
  name: N,
): BulkHistogram<LabelOf<N>> {
  const spec = metricSpec(name);
  return new BulkHistogram({
    name,
    help: spec.help,
    labelNames: labelNamesOf(name),
    buckets: spec.buckets ?? [],
    registers: [registry],
  });
}

/**
 * The event-time lag histogram: the engine hands over a whole batch's bucket counts at once
 * (BulkHistogram.add), never a value per record.
 */
export function lagHistogram(
  registry: AnyRegistry,
): BulkHistogram<LabelOf<'sidestream_event_time_lag_seconds'>> {
  return histogram(registry, 'sidestream_event_time_lag_seconds');
}

/**
 * The exporters' error counter on `registry`, created on first use: the Prometheus listener
 * registers it so it is scraped from the start, and the exporters and the metrics pipeline
 * (which only read the registry otherwise) find the same instance.
 */
export function exporterErrorsCounter(
  registry: AnyRegistry,
): Counter<LabelOf<'sidestream_exporter_errors_total'>> {
  const existing = registry.getSingleMetric('sidestream_exporter_errors_total');
  if (existing) return existing as Counter<LabelOf<'sidestream_exporter_errors_total'>>;
  return counter(registry, 'sidestream_exporter_errors_total');
}
