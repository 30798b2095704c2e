/**
 * How every PromQL selector of the Prometheus dashboards is scoped: to the chosen apps and
 * instances (the `app` and `instance` template variables) and to the extra label matchers given
 * at generation time (`sidestream dashboards --selector 'cluster="a"'`). panels.ts writes every
 * selector through a PromScope, so no query can miss a matcher.
 */
import { type DashboardMetricName, metricRef, type ProcessMetricName } from './metric-refs.js';

export interface PromScope {
  /** `name{app=~"$app", instance=~"$instance"<, extra><, selectors>}`. */
  sel(name: DashboardMetricName | ProcessMetricName, extra?: string): string;
  /** The `_bucket` series of a histogram, scoped like sel(). */
  buckets(name: DashboardMetricName, extra?: string): string;
  /**
   * Prometheus's ALERTS series with `matchers` and the extra selectors, but not the instance: the
   * rules aggregate by app, so most alerts carry no instance (the rules generated with the same
   * selectors carry their equality labels, see prometheus-rules.ts).
   */
  alerts(matchers: string): string;
  /** The extra selectors alone, for template-variable queries (`{cluster="a"}`, or ''). */
  readonly selectors: readonly string[];
}

const join = (...parts: (string | readonly string[])[]) =>
  parts
    .flat()
    .filter((p) => p !== '')
    .join(', ');

/** `series{m1, m2, ...}` of the non-empty matchers, or `series` alone when there are none. */
export function selectSeries(series: string, ...matchers: (string | readonly string[])[]): string {
  const all = join(...matchers);
  return all === '' ? series : `${series}{${all}}`;
}

export function promScope(selectors: readonly string[] = []): PromScope {
  const scoped = (series: string, extra = '') =>
    selectSeries(series, 'app=~"$app"', 'instance=~"$instance"', extra, selectors);
  return {
    sel: (name, extra) => scoped(name, extra),
    buckets(name, extra) {
      if (metricRef(name).type !== 'histogram') throw new Error(`${name} is not a histogram`);
      return scoped(`${name}_bucket`, extra);
    },
    alerts: (matchers) => `ALERTS{${join(matchers, selectors)}}`,
    selectors,
  };
}
