/**
 * Whether a Prometheus evaluates its alerting rules at all: how many it loaded and how many last
 * evaluated without an error (GET /api/v1/rules). A soak that counts false alerts
 * (scripts/false-alert-soak.ts) must not report zero because a rule never ran.
 */

export interface AlertRuleHealth {
  readonly loaded: number;
  readonly healthy: number;
  /** `name: lastError` of every rule whose health is not `ok`. */
  readonly errors: readonly string[];
}

interface ApiRule {
  name: string;
  health: string;
  lastError?: string;
}

export async function alertRuleHealth(prometheusUrl: string): Promise<AlertRuleHealth> {
  const res = await fetch(`${prometheusUrl}/api/v1/rules?type=alert`);
  const body = (await res.json()) as { status: string; data: { groups: { rules: ApiRule[] }[] } };
  if (body.status !== 'success') throw new Error(`GET /api/v1/rules: ${body.status}`);
  const rules = body.data.groups.flatMap((g) => g.rules);
  const unhealthy = rules.filter((r) => r.health !== 'ok');
  return {
    loaded: rules.length,
    healthy: rules.length - unhealthy.length,
    errors: unhealthy.map((r) => `${r.name}: ${r.lastError || r.health}`),
  };
}
