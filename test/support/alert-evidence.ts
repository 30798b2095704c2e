/**
 * What the false-alert soak (scripts/false-alert-soak.ts) keeps about an alert that went pending
 * or fired, before it stops its private Prometheus (whose tsdb goes with it): the rule's
 * expression and `for`, and over the episode plus the rule's longest window before it, the
 * expression's values and those of every series it reads. Enough to tell a false page of the
 * rules from a real problem of the agent without running the soak again.
 */
import type { AlertEpisode } from './alert-watch.js';
import type { PromSample } from './prometheus.js';

export interface AlertEvidence {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly expr: string;
  readonly forSeconds: number;
  readonly fromS: number;
  readonly toS: number;
  /** query -> its range result (the expression itself first, then each metric it names). */
  readonly series: Record<string, PromSample[]>;
}

interface ApiRule {
  name: string;
  query: string;
  duration: number;
}

async function api<T>(url: string): Promise<T> {
  const body = (await (await fetch(url)).json()) as { status: string; error?: string; data: T };
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? body.status}`);
  return body.data;
}

/** The longest range-selector window of `expr` in seconds (`[5m]` -> 300), 0 without one. */
function longestWindowS(expr: string): number {
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600 };
  let longest = 0;
  for (const [, n, u] of expr.matchAll(/\[(\d+)([smh])\]/g))
    longest = Math.max(longest, Number(n) * (unit[u ?? 's'] ?? 1));
  return longest;
}

export async function alertEvidence(
  prometheusUrl: string,
  episode: AlertEpisode,
  stepS: number,
): Promise<AlertEvidence> {
  const groups = await api<{ groups: { rules: ApiRule[] }[] }>(`${prometheusUrl}/api/v1/rules?type=alert`);
  const rule = groups.groups.flatMap((g) => g.rules).find((r) => r.name === episode.name);
  const expr = rule?.query ?? '';
  const fromS = Math.floor(episode.activeAtMs / 1000) - longestWindowS(expr) - 60;
  const toS = Math.ceil(episode.lastSeenMs / 1000) + 60;
  const metrics = [...new Set(expr.match(/\b(sidestream_[a-z_]+|up)\b/g) ?? [])];
  const series: Record<string, PromSample[]> = {};
  for (const query of expr ? [expr, ...metrics] : []) {
    const params = new URLSearchParams({ query, start: String(fromS), end: String(toS), step: `${stepS}s` });
    series[query] = (
      await api<{ result: PromSample[] }>(`${prometheusUrl}/api/v1/query_range?${params}`)
    ).result;
  }
  return {
    name: episode.name,
    labels: episode.labels,
    expr,
    forSeconds: rule?.duration ?? 0,
    fromS,
    toS,
    series,
  };
}
