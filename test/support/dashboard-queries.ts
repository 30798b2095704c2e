/**
 * Reads the committed Grafana dashboards and alert rules (dashboards/, alerts/), or a bundle the
 * CLI wrote with options (bundle-cli.ts, same layout under another root), and pulls out what the
 * tests check: every PromQL expression and Graphite target with the panel or rule it belongs
 * to, and the metric names a PromQL expression or Graphite path uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const RULES_FILE = join(REPO, 'alerts', 'sidestream.rules.yml');
export const GRAFANA_RULES_FILE = join(REPO, 'alerts', 'grafana', 'sidestream-graphite.yml');

export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: string;
  /** PromQL expression or Graphite target, as committed (with Grafana variables). */
  readonly query: string;
}

interface DashboardJson {
  uid: string;
  templating?: { list: { name: string; type: string; query?: unknown }[] };
  panels: { type: string; title: string; targets?: { expr?: string; target?: string }[] }[];
}

/** `root` holds dashboards/ and alerts/: the repository, or a bundle the CLI wrote. */
export function loadDashboards(ds: 'prometheus' | 'graphite', root = REPO): DashboardJson[] {
  const dir = join(root, 'dashboards', ds);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as DashboardJson);
}

/** Every query of every panel of the dashboards of one datasource. */
export function panelQueries(ds: 'prometheus' | 'graphite', root = REPO): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const d of loadDashboards(ds, root)) {
    for (const p of d.panels) {
      for (const t of p.targets ?? []) {
        const query = ds === 'prometheus' ? t.expr : t.target;
        if (query) out.push({ dashboard: d.uid, panel: p.title, query });
      }
    }
  }
  return out;
}

/** The queries of the template variables (`label_values(...)` for Prometheus), by variable name. */
export function variableQueries(ds: 'prometheus' | 'graphite', root = REPO): PanelQuery[] {
  return loadDashboards(ds, root).flatMap((d) =>
    (d.templating?.list ?? [])
      .filter((v) => v.type === 'query' && typeof v.query === 'string')
      .map((v) => ({ dashboard: d.uid, panel: `variable ${v.name}`, query: v.query as string })),
  );
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadRules(file = RULES_FILE): AlertRule[] {
  const doc = parse(readFileSync(file, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

interface GrafanaRule {
  title: string;
  data: { refId: string; datasourceUid: string; model: { target?: string } }[];
}

/** The Graphite targets of the Grafana-managed rules (alerts/grafana/sidestream-graphite.yml). */
export function grafanaRuleTargets(file = GRAFANA_RULES_FILE): PanelQuery[] {
  const doc = parse(readFileSync(file, 'utf8')) as { groups: { rules: GrafanaRule[] }[] };
  return doc.groups.flatMap((g) =>
    g.rules.flatMap((r) =>
      r.data
        .filter((q) => q.model.target)
        .map((q) => ({ dashboard: 'grafana-rules', panel: r.title, query: q.model.target! })),
    ),
  );
}

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

/**
 * The metric names a PromQL expression selects. Strings, label matchers, grouping lists and range
 * durations are removed first; what remains that is an identifier not followed by `(` is a name.
 */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\(?))/g)) {
    const [word] = m;
    const after = stripped.slice(m.index! + word.length).trimStart();
    if (after.startsWith('(') || PROMQL_WORDS.has(word)) continue;
    names.add(word);
  }
  return [...names];
}

/**
 * The metric selectors (name plus matchers) of a PromQL expression, each queryable on its own:
 * `sum by (app) (increase(x{a="b"}[1m])) > 4` gives `x{a="b"}`.
 */
export function promqlSelectors(expr: string): string[] {
  const out = new Set<string>();
  const masked = expr.replace(/"(?:[^"\\]|\\.)*"/g, (s) => 'Q'.repeat(s.length));
  const names = promqlMetricNames(expr);
  for (const name of names) {
    const re = new RegExp(`(?<![A-Za-z0-9_:])${name}(\\{[^}]*\\})?`, 'g');
    for (const m of masked.matchAll(re)) {
      const after = masked.slice(m.index! + m[0].length).trimStart();
      if (after.startsWith('(')) continue;
      out.add(expr.slice(m.index!, m.index! + m[0].length));
    }
  }
  return [...out];
}

/** The dotted sidestream paths in a Graphite target (`sidestream.$app.name.*`...). */
export function graphitePaths(target: string): string[] {
  return [...target.matchAll(/(?<![\w.])sidestream\.[^,()\s']+/g)].map((m) => m[0]);
}
