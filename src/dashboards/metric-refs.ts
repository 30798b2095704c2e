/**
 * The metric names and Graphite paths the dashboards and Grafana alert rules may use, and nothing
 * else: catalogue entries from src/telemetry/metrics.ts. PromQL selectors are written through prom-scope.ts; Graphite paths
 * come from graphiteName(), the exporter's own mapping function, so a dashboard can never ask Graphite for a path the exporter does not write.
 */
import { DEFAULT_GRAPHITE_PREFIX, graphiteName } from '../telemetry/graphite-naming.js';
import { METRICS, type MetricSpec } from '../telemetry/metrics.js';

export type CatalogueName = (typeof METRICS)[number]['name'];
export type DashboardMetricName = CatalogueName;

type Spec = Pick<MetricSpec, 'name' | 'type' | 'labelNames'>;

/** The catalogue entry of `name`. */
export function metricRef(name: DashboardMetricName): Spec {
  const spec: Spec | undefined = METRICS.find((m) => m.name === name);
  if (!spec) throw new Error(`${name} is not in the catalogue`);
  return spec;
}

/**
 * prom-client's default process metrics that the agent serves on /metrics (with label `app`);
 * the Agent dashboard's CPU, memory and event-loop panels use these. Prometheus-only: the
 * Graphite exporter does not send them.
 */
export const PROCESS_METRICS = [
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_lag_mean_seconds',
] as const;
export type ProcessMetricName = (typeof PROCESS_METRICS)[number];

/** Prometheus's own series that rules and panels may use. */
export const PROMETHEUS_BUILTIN_METRICS = ['up', 'ALERTS', 'time'] as const;

/** A Grafana template variable in a Graphite path: a segment placeholder that sanitising keeps. */
const PLACEHOLDER = (n: string) => `XVARX${n}XVARX`;
const PLACEHOLDER_RE = /XVARX([A-Za-z0-9]+)XVARX/g;

/**
 * The Graphite path of a metric for a dashboard or rule, built by graphiteName(): `app` and label
 * values may be Grafana variables (`$app`) or globs (`*`), which graphiteName would sanitise, so
 * they go through as placeholders and are put back afterwards.
 */
export function graphitePath(
  name: DashboardMetricName,
  labels: Readonly<Record<string, string>> = {},
  suffix?: string,
  app = '$app',
): string {
  const spec = metricRef(name);
  const swap = (v: string) =>
    v === '*' ? PLACEHOLDER('STAR') : v.startsWith('$') ? PLACEHOLDER(v.slice(1)) : v;
  const values: Record<string, string> = {};
  for (const l of spec.labelNames) values[l] = swap(labels[l] ?? '*');
  const path = graphiteName(spec, values, { app: swap(app), prefix: DEFAULT_GRAPHITE_PREFIX }, suffix);
  return path.replace(PLACEHOLDER_RE, (_, n: string) => (n === 'STAR' ? '*' : `$${n}`));
}
