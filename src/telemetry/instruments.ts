/**
 * Instrument factories: the catalogue's metrics created by name on a registry, with the help
 * text, label names (`app` first) and buckets the catalogue gives them, so no call site spells a
 * name, a label or a bucket list of its own.
 */
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';
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

/** A gauge; `collect` runs at scrape time (for values read rather than set by events). */
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
): Histogram<LabelOf<N>> {
  const spec = metricSpec(name);
  return new Histogram({
    name,
    help: spec.help,
    labelNames: labelNamesOf(name),
    ...(spec.buckets ? { buckets: [...spec.buckets] } : {}),
    registers: [registry],
  });
}

/** A histogram that adds a whole batch's bucket counts at once (the event-time lag). */
export function bulkHistogram<N extends MetricNameOf<'histogram'>>(
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
 * The exporters' error counter on `registry`, created on first use: the metrics listener
 * registers it so it is scraped from the start, and a push exporter (which only reads the
 * registry otherwise) finds the same instance.
 */
export function exporterErrorsCounter(
  registry: AnyRegistry,
): Counter<LabelOf<'sidestream_exporter_errors_total'>> {
  const existing = registry.getSingleMetric('sidestream_exporter_errors_total');
  if (existing) return existing as Counter<LabelOf<'sidestream_exporter_errors_total'>>;
  return counter(registry, 'sidestream_exporter_errors_total');
}
