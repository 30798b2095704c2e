/**
 * The fire-drill copy of alerts/sidestream.rules.yml (docs/dashboards.md, "Fire drill"): the same
 * alerts, expressions and thresholds, with every non-zero `for` set to `forDuration` and every range
 * selector window (`[1m]`, `[5m]`, `[15m]`) shortened to `window`, so that a test can make an alert
 * fire within seconds against a real Prometheus. Only the drill copy changes; the shipped rules
 * keep their documented defaults.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { RULES_FILE } from './dashboard-queries.js';

export interface DrillOptions {
  /** Replaces every rule's `for`; default `2s`. */
  readonly forDuration?: string;
  /** Replaces every range-vector window; default `20s`. */
  readonly window?: string;
}

export function drillRules(options: DrillOptions = {}, rulesFile = RULES_FILE): string {
  const forDuration = options.forDuration ?? '2s';
  const window = options.window ?? '20s';
  const doc = parse(readFileSync(rulesFile, 'utf8')) as {
    groups: { name: string; rules: { expr: string; for?: string }[] }[];
  };
  for (const group of doc.groups) {
    group.name = `${group.name}-drill`;
    for (const rule of group.rules) {
      // A rule without a `for` (the overdue gauge is already a duration) keeps none: a drill
      // `for` would ask a sawtooth gauge to stay high for seconds, which the shipped rule never does.
      if (rule.for !== undefined && rule.for !== '0s') rule.for = forDuration;
      rule.expr = rule.expr.replace(/\[\d+[smh]\]/g, `[${window}]`);
    }
  }
  return stringify(doc, { lineWidth: 0 });
}
