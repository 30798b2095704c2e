/**
 * The ONE mapping from a catalogue metric (plus its label values) to a Graphite series name
 * (docs/reference.md, Graphite). Nothing else in the project builds Graphite names.
 *
 * Dotted (default):
 *   `<prefix>.<app>[.<instance>].<name without sidestream_>[.<label values in catalogue order>][.<suffix>]`
 *   e.g. `sidestream_record_errors_total{app="clicks",stream="kafka:events",error_type="SyntaxError"}`
 *   is `sidestream.clicks.record_errors_total.kafka_events.SyntaxError`, and the p99 of
 *   `sidestream_batch_total_delay_seconds{app="clicks"}` is `sidestream.clicks.batch_total_delay_seconds.p99`.
 * Tagged (`naming: 'tagged'`, Graphite 1.1 tags):
 *   `<name>[.<suffix>];app=<app>[;instance=<instance>];<label>=<value>...`, the full catalogue name
 *   (with `sidestream_`), labels in catalogue order; `prefix` is not used (tags carry identity).
 *
 * `instance` is optional: it tells apart several agents of one app (hosts, pods) in dotted names.
 * `suffix` is the histogram statistic (count, sum, avg, max, p50, p99); counters and gauges have none.
 *
 * Sanitising: in a dotted path a label value is one segment, so dots, whitespace and slashes
 * (and anything else outside `[A-Za-z0-9_-]`, `:` included) become `_`; an empty value becomes `_`. In tagged
 * names values keep dots but `;`, `~`, `!`, `^`, `=`, whitespace and slashes become `_`
 * (Graphite forbids `;~` and `!^=` start/inside values). Sanitising loses information: two label
 * values that differ only in those characters share one series.
 */
import type { MetricSpec } from './metrics.js';

export type GraphiteNaming = 'dotted' | 'tagged';

export const DEFAULT_GRAPHITE_PREFIX = 'sidestream';

export interface GraphiteNameOptions {
  readonly app: string;
  /** Dotted names only; default `sidestream`. May itself contain dots (`prod.sidestream`). */
  readonly prefix?: string;
  readonly naming?: GraphiteNaming;
  readonly instance?: string;
}

/** What the mapping needs of a catalogue entry. */
export type GraphiteMetric = Pick<MetricSpec, 'name' | 'labelNames'>;

const DOTTED_UNSAFE = /[^A-Za-z0-9_-]/g;
const TAGGED_UNSAFE = /[\s/;~!^=]/g;

/** One dotted path segment: dots, spaces, slashes and other odd characters become `_`. */
export function sanitizeGraphiteSegment(value: string): string {
  return value.replace(DOTTED_UNSAFE, '_') || '_';
}

function sanitizeTagValue(value: string): string {
  return value.replace(TAGGED_UNSAFE, '_') || '_';
}

/** Each segment of a dotted prefix sanitised on its own, so `prod.sidestream` stays two segments. */
function sanitizePrefix(prefix: string): string {
  return prefix
    .split('.')
    .filter((p) => p !== '')
    .map(sanitizeGraphiteSegment)
    .join('.');
}

/**
 * The Graphite series name of one catalogue metric's series.
 * @param labels values by label name; labels missing from `labels` are written as `_`, extra ones
 *   (`app` included: it comes from `options.app`) are ignored.
 */
export function graphiteName(
  metric: GraphiteMetric,
  labels: Readonly<Record<string, string | number | undefined>>,
  options: GraphiteNameOptions,
  suffix?: string,
): string {
  const labelValue = (l: string) => {
    const v = labels[l];
    return v === undefined ? '' : String(v);
  };
  if ((options.naming ?? 'dotted') === 'tagged') {
    const tags = [`app=${sanitizeTagValue(options.app)}`];
    if (options.instance !== undefined) tags.push(`instance=${sanitizeTagValue(options.instance)}`);
    for (const l of metric.labelNames) tags.push(`${l}=${sanitizeTagValue(labelValue(l))}`);
    return [`${metric.name}${suffix ? `.${suffix}` : ''}`, ...tags].join(';');
  }
  const parts = [
    sanitizePrefix(options.prefix ?? DEFAULT_GRAPHITE_PREFIX),
    sanitizeGraphiteSegment(options.app),
  ];
  if (options.instance !== undefined) parts.push(sanitizeGraphiteSegment(options.instance));
  parts.push(metric.name.replace(/^sidestream_/, ''));
  for (const l of metric.labelNames) parts.push(sanitizeGraphiteSegment(labelValue(l)));
  if (suffix) parts.push(suffix);
  return parts.filter((p) => p !== '').join('.');
}
