/**
 * `sidestream dashboards` and `sidestream alerts` (src/agent/bundle-commands.ts, options in
 * src/dashboards/bundle-options.ts), run as the built CLI: a selector reaches every PromQL selector
 * of every panel, template variable and rule, thresholds, `for` and runbook links reach the
 * Prometheus and the Grafana-managed rules, one file goes to stdout, and bad options are refused
 * with SS_USAGE naming the flag and the choices. promtool checks the rules in
 * test/alerts/promtool.test.ts; test/integration/dashboards-real.test.ts runs the queries.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI } from '../support/agent-process.js';
import { cliBundle } from '../support/bundle-cli.js';
import {
  loadRules,
  panelQueries,
  promqlSelectors,
  REPO,
  variableQueries,
} from '../support/dashboard-queries.js';

const run = promisify(execFile);

/** The CLI's exit code, stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CLUSTER = 'cluster="a"';
const ENV = 'env=~"prod|stage"';

describe('sidestream dashboards / alerts with selectors', () => {
  const root = cliBundle(['--selector', CLUSTER, '--selector', ENV]);

  it('every selector of every Prometheus panel query, inside aggregations too, carries the selectors', () => {
    const selectors = panelQueries('prometheus', root).flatMap((q) =>
      promqlSelectors(q.query).map((s) => ({ where: `${q.dashboard} / ${q.panel}`, s })),
    );
    expect(selectors.length).toBeGreaterThan(50);
    for (const { where, s } of selectors) {
      expect(s, where).toContain(CLUSTER);
      expect(s, where).toContain(ENV);
    }
  });

  it('the template variables (label_values) carry them', () => {
    const variables = variableQueries('prometheus', root);
    expect(variables.map((v) => v.panel).sort()).toEqual(
      [...Array(4).fill('variable app'), ...Array(4).fill('variable instance')].sort(),
    );
    for (const v of variables)
      expect(v.query).toMatch(
        /^label_values\(sidestream_build_info\{.*cluster="a", env=~"prod\|stage"\}, (app|instance)\)$/,
      );
  });

  it('every selector of every rule carries them, and the equality ones are labels of every alert', () => {
    const rules = loadRules(join(root, 'alerts', 'sidestream.rules.yml'));
    expect(rules.length).toBe(loadRules().length);
    for (const rule of rules) {
      const selectors = promqlSelectors(rule.expr);
      expect(selectors.length, rule.alert).toBeGreaterThan(0);
      for (const s of selectors) expect(s, rule.alert).toContain(`${CLUSTER}, ${ENV}`);
      expect(rule.labels, rule.alert).toEqual({ severity: expect.any(String), cluster: 'a' });
    }
  });

  it('the shipped files have no selector of their own: the same queries without it', () => {
    const shipped = panelQueries('prometheus').map((q) => q.query);
    const generated = panelQueries('prometheus', root).map((q) =>
      q.query.replaceAll(`, ${CLUSTER}, ${ENV}`, '').replaceAll(`{${CLUSTER}, ${ENV}}`, ''),
    );
    expect(generated).toEqual(shipped);
    expect(shipped.join('\n')).not.toContain('cluster');
  });
});

describe('sidestream alerts with thresholds, for durations and a runbook URL', () => {
  const base = 'https://git.example.com/sidestream/blob/main/docs/runbooks.md';
  const root = cliBundle(
    ['--datasource-uid', 'graphite-eu'],
    [
      '--threshold',
      'SidestreamTaskFailures=10',
      '--threshold',
      'SidestreamConsumerLagGrowing=120.5',
      '--for',
      'SidestreamBatchesQueueing=10m',
      '--for',
      'SidestreamTaskFailures=1h30m',
      '--runbook-url',
      base,
    ],
  );
  const rules = new Map(loadRules(join(root, 'alerts', 'sidestream.rules.yml')).map((r) => [r.alert, r]));
  const shipped = new Map(loadRules().map((r) => [r.alert, r]));

  it('the Prometheus rules: the new thresholds in the expressions and texts, the new for, absolute runbook links', () => {
    expect(rules.get('SidestreamTaskFailures')!.expr).toMatch(/\) > 10$/);
    expect(rules.get('SidestreamTaskFailures')!.annotations!.summary).toContain('more than 10 task failures');
    expect(rules.get('SidestreamTaskFailures')!.for).toBe('1h30m');
    expect(rules.get('SidestreamConsumerLagGrowing')!.expr.match(/> 120\.5\b/g)).toHaveLength(2);
    expect(rules.get('SidestreamBatchesQueueing')!.for).toBe('10m');
    expect(rules.get('SidestreamBatchesQueueing')!.annotations!.description).toContain('for 10 minutes');
    for (const [alert, rule] of rules) {
      expect(rule.annotations!.runbook_url).toBe(`${base}#${alert.toLowerCase()}`);
      if (
        !['SidestreamTaskFailures', 'SidestreamConsumerLagGrowing', 'SidestreamBatchesQueueing'].includes(
          alert,
        )
      ) {
        expect(rule.expr, alert).toBe(shipped.get(alert)!.expr);
        expect(rule.for, alert).toBe(shipped.get(alert)!.for);
      }
    }
  });

  it('the Grafana-managed Graphite rules: the same thresholds, for and links, on the given datasource uid', () => {
    const doc = parse(readFileSync(join(root, 'alerts', 'grafana', 'sidestream-graphite.yml'), 'utf8')) as {
      groups: {
        rules: {
          title: string;
          for: string;
          annotations: Record<string, string>;
          data: { datasourceUid: string; model: { conditions?: { evaluator: { params: number[] } }[] } }[];
        }[];
      }[];
    };
    const graphite = new Map(doc.groups.flatMap((g) => g.rules).map((r) => [r.title, r]));
    const threshold = (alert: string) =>
      graphite.get(alert)!.data.flatMap((d) => d.model.conditions ?? [])[0]!.evaluator.params[0];
    expect(threshold('SidestreamTaskFailures')).toBe(10);
    expect(threshold('SidestreamConsumerLagGrowing')).toBe(120.5);
    expect(graphite.get('SidestreamTaskFailures')!.for).toBe('1h30m');
    for (const [alert, rule] of graphite) {
      expect(rule.annotations.runbook_url).toBe(`${base}#${alert.toLowerCase()}`);
      const uids = new Set(rule.data.map((d) => d.datasourceUid).filter((u) => u !== '__expr__'));
      expect([...uids], alert).toEqual(['graphite-eu']);
    }
  });
});

describe('one file to stdout', () => {
  it('sidestream dashboards --dashboard kafka --flavour graphite prints that dashboard', async () => {
    const { code, stdout } = await cli('dashboards', '--dashboard', 'kafka', '--flavour', 'graphite');
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(join(REPO, 'dashboards', 'graphite', 'sidestream-kafka.json'), 'utf8'));
  });

  it('sidestream alerts prints the shipped Prometheus rules; --flavour graphite the Grafana-managed ones', async () => {
    expect((await cli('alerts')).stdout).toBe(
      readFileSync(join(REPO, 'alerts', 'sidestream.rules.yml'), 'utf8'),
    );
    expect((await cli('alerts', '--flavour', 'graphite')).stdout).toBe(
      readFileSync(join(REPO, 'alerts', 'grafana', 'sidestream-graphite.yml'), 'utf8'),
    );
  });
});

describe('bad options are refused with SS_USAGE (exit 2), naming the flag and the fix', () => {
  const cases: [string[], RegExp][] = [
    [
      ['alerts', '--threshold', 'SidestreamNope=3'],
      /--threshold 'SidestreamNope=3': unknown alert 'SidestreamNope'; the alerts it takes are SidestreamTaskFailures, .*SidestreamBatchOverdue/,
    ],
    // An alert without a threshold (it compares with 0 or a state) is not among the choices.
    [
      ['alerts', '--threshold', 'SidestreamBatchFailed=1'],
      /unknown alert 'SidestreamBatchFailed'; the alerts it takes are/,
    ],
    [
      ['alerts', '--threshold', 'SidestreamTaskFailures=-1'],
      /--threshold .*'-1' is not a number >= 0 \(failed task attempts within 1m\); for example SidestreamTaskFailures=4/,
    ],
    [
      ['alerts', '--threshold', 'SidestreamTaskFailures'],
      /--threshold 'SidestreamTaskFailures': expected ALERT=VALUE/,
    ],
    [
      ['alerts', '--for', 'SidestreamTaskFailures=5 minutes'],
      /--for .*is not a Prometheus duration; for example SidestreamTaskFailures=5m/,
    ],
    [
      ['alerts', '--for', 'TaskFailures=5m'],
      /--for 'TaskFailures=5m': unknown alert 'TaskFailures'; the alerts it takes are SidestreamTaskFailures, SidestreamNoRecordsProcessed/,
    ],
    [
      ['alerts', '--runbook-url', 'docs/runbooks.md'],
      /--runbook-url 'docs\/runbooks.md': expected the absolute http\(s\) URL/,
    ],
    [
      ['dashboards', '--out', '/tmp/x', '--selector', 'cluster=a'],
      /--selector 'cluster=a': expected a PromQL label matcher/,
    ],
    [
      ['alerts', '--selector', 'severity="page"'],
      /--selector 'severity="page"': severity is a label the alert rules set/,
    ],
    [
      ['dashboards', '--out', '/tmp/x', '--datasource-uid', 'has space'],
      /--datasource-uid 'has space': a Grafana datasource uid is/,
    ],
    [
      ['dashboards', '--flavour', 'influx', '--dashboard', 'kafka'],
      /--flavour 'influx': expected one of prometheus, graphite/,
    ],
    [
      ['dashboards', '--dashboard', 'lag'],
      /--dashboard 'lag': expected one of overview, kafka, ingestion, agent/,
    ],
    [['dashboards'], /without --out, name the one dashboard to print with --dashboard/],
  ];
  it.each(cases)('%j', async (args, message) => {
    const { code, stdout, stderr } = await cli(...args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^\S+Z sidestream: error \[SS_USAGE\]: /);
    expect(stderr).toMatch(message);
  });
});
