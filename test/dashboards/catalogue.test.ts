/**
 * Dashboards and alert rules only use metric names that exist: the catalogue
 * (src/telemetry/metrics.ts), prom-client's process metrics the agent serves, and Prometheus's own `up` and `ALERTS`. PromQL
 * selectors are parsed out of every panel and rule; Graphite paths out of every target, and their
 * shape (labels, histogram statistic) must be one the exporter writes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROCESS_METRICS, PROMETHEUS_BUILTIN_METRICS } from '../../src/dashboards/metric-refs.js';
import { METRICS } from '../../src/telemetry/metrics.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { BUNDLE_TEST_ARGS, cliBundle } from '../support/bundle-cli.js';
import {
  grafanaRuleTargets,
  graphitePaths,
  loadRules,
  panelQueries,
  promqlMetricNames,
  REPO,
} from '../support/dashboard-queries.js';
import { section } from '../support/doc-section.js';

const SPECS = new Map<string, { type: string; labelNames: readonly string[] }>(
  METRICS.map((m) => [m.name, m]),
);
const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;
const GRAPHITE_STATS = new Set(['count', 'sum', 'avg', 'max', 'p50', 'p99']);

function knownPromName(name: string): boolean {
  if (SPECS.has(name)) return SPECS.get(name)!.type !== 'histogram';
  const base = name.replace(HISTOGRAM_SERIES, '');
  if (base !== name && SPECS.get(base)?.type === 'histogram') return true;
  return (
    (PROCESS_METRICS as readonly string[]).includes(name) ||
    (PROMETHEUS_BUILTIN_METRICS as readonly string[]).includes(name)
  );
}

/** The shipped files, and the CLI's output with a datasource uid and a selector. */
const BUNDLES = [
  { name: 'shipped', root: REPO },
  { name: `sidestream dashboards/alerts ${BUNDLE_TEST_ARGS.join(' ')}`, root: cliBundle(BUNDLE_TEST_ARGS) },
];

describe.each(BUNDLES)('metric names in dashboards and alerts: $name', ({ root }) => {
  it('every PromQL name in the Prometheus dashboards and the rules is known', () => {
    const queries = [
      ...panelQueries('prometheus', root).map((q) => ({
        where: `${q.dashboard} / ${q.panel}`,
        expr: q.query,
      })),
      ...loadRules(join(root, 'alerts', 'sidestream.rules.yml')).map((r) => ({
        where: `rule ${r.alert}`,
        expr: r.expr,
      })),
    ];
    expect(queries.length).toBeGreaterThan(40);
    for (const { where, expr } of queries) {
      const names = promqlMetricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(knownPromName(name), `${where}: unknown metric ${name}`).toBe(true);
    }
  });

  it('every Graphite path is one the exporter writes: <prefix>.<app>.<name>[.<labels>][.<statistic>]', () => {
    const targets = [
      ...panelQueries('graphite', root),
      ...grafanaRuleTargets(join(root, 'alerts', 'grafana', 'sidestream-graphite.yml')),
    ];
    expect(targets.length).toBeGreaterThan(30);
    for (const t of targets) {
      const paths = graphitePaths(t.query);
      expect(paths.length, `${t.dashboard} / ${t.panel}: ${t.query}`).toBeGreaterThan(0);
      for (const path of paths) {
        const [, , name, ...rest] = path.split('.');
        const spec = SPECS.get(`sidestream_${name}`);
        expect(spec, `${t.panel}: ${path} names no known metric`).toBeDefined();
        const labels = rest.slice(0, spec!.labelNames.length);
        const stat = rest.slice(spec!.labelNames.length);
        expect(labels.length, `${path}: one segment per label ${spec!.labelNames.join(',')}`).toBe(
          spec!.labelNames.length,
        );
        if (spec!.type === 'histogram') {
          expect(stat.length === 1 && GRAPHITE_STATS.has(stat[0]!), `${path}: histogram statistic`).toBe(
            true,
          );
        } else {
          expect(stat, `${path}: nothing after the labels`).toEqual([]);
        }
      }
    }
  });
});

describe('metric names in the documentation and the registry', () => {
  it('docs/reference.md names exactly the catalogue (the public contract in the repository)', () => {
    const reference = section(readFileSync(join(REPO, 'docs', 'reference.md'), 'utf8'), 'metric-names');
    const named = [...reference.matchAll(/`(sidestream_[a-z0-9_]+)/g)].map((m) => m[1] as string);
    expect(new Set(named).size).toBe(named.length);
    expect([...named].sort()).toEqual(METRICS.map((m) => m.name).sort());
  });

  it("the process metrics the Agent dashboard uses are prom-client default metrics of the agent's registry", async () => {
    const text = await new MetricsRegistry('catalogue-test').registry.metrics();
    for (const name of PROCESS_METRICS)
      expect(text, name).toMatch(new RegExp(`^${name}\\{app="catalogue-test"`, 'm'));
  });
});
