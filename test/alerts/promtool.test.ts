/**
 * The Prometheus alert rules (alerts/sidestream.rules.yml) through Debian's promtool 2.42:
 * `promtool check rules` (syntax, PromQL) and `promtool test rules` (alerts/sidestream.test.yml:
 * each alert fires on its series and stays quiet on the others). Plus what promtool does not check:
 * the set of alerts is the one docs/reference.md lists, and each has a `for`, labels.severity and the summary,
 * description and runbook_url annotations, the runbook anchor existing in docs/runbooks.md.
 * The Grafana-managed Graphite rules carry the same names and metadata. The rules `sidestream
 * alerts` writes with options pass `promtool check rules` too.
 */
import { execFile } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cliBundle } from '../support/bundle-cli.js';
import { GRAFANA_RULES_FILE, loadRules, REPO, RULES_FILE } from '../support/dashboard-queries.js';
import { section } from '../support/doc-section.js';
import { drillRules } from '../support/drill-rules.js';
import { requireService } from '../support/services.js';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = await requireService('promtool', PROMTOOL, () => access(PROMTOOL, constants.X_OK));

/** The alerts docs/reference.md lists (between its alert-names markers), in the rules' order. */
const REFERENCE_ALERTS = [
  ...section(readFileSync(join(REPO, 'docs', 'reference.md'), 'utf8'), 'alert-names').matchAll(
    /`(Sidestream\w+)`/g,
  ),
].map((m) => m[1] as string);

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .replace(/\s/g, '-'),
    ),
  );
}

describe.runIf(hasPromtool)('Prometheus alert rules', () => {
  it('promtool check rules passes', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', RULES_FILE]);
    expect(stdout).toContain(`SUCCESS: ${REFERENCE_ALERTS.length} rules found`);
  });

  it('promtool check rules passes on the fire-drill copy too (test/support/drill-rules.ts)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sidestream-drill-'));
    try {
      const file = join(dir, 'drill.rules.yml');
      await writeFile(file, drillRules());
      const { stdout } = await run(PROMTOOL, ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${REFERENCE_ALERTS.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('promtool check rules passes on `sidestream alerts` with selectors, thresholds, for durations and runbook links', async () => {
    const root = cliBundle(
      ['--selector', 'cluster="a"', '--selector', 'env=~"prod|stage"', '--selector', 'zone!="x y: #z"'],
      [
        '--threshold',
        'SidestreamTaskFailures=10',
        '--threshold',
        'SidestreamCheckpointStale=900',
        '--for',
        'SidestreamBatchesQueueing=1h30m',
        '--runbook-url',
        'https://git.example.com/sidestream/blob/main/docs/runbooks.md',
      ],
    );
    try {
      const { stdout } = await run(PROMTOOL, [
        'check',
        'rules',
        join(root, 'alerts', 'sidestream.rules.yml'),
      ]);
      expect(stdout).toContain(`SUCCESS: ${REFERENCE_ALERTS.length} rules found`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('promtool test rules passes (every alert fires when it should and stays quiet otherwise)', async () => {
    const { stdout } = await run(PROMTOOL, [
      'test',
      'rules',
      join(REPO, 'alerts', 'sidestream.test.yml'),
    ]).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`promtool test rules failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    });
    expect(stdout).toContain('SUCCESS');
    const tests = readFileSync(join(REPO, 'alerts', 'sidestream.test.yml'), 'utf8');
    for (const alert of REFERENCE_ALERTS) {
      expect(tests, `a promtool test evaluates ${alert}`).toContain(`alertname: ${alert}\n`);
    }
  });
});

describe('alert rule metadata', () => {
  const runbooks = readFileSync(join(REPO, 'docs', 'runbooks.md'), 'utf8');
  const runbookAnchors = anchors(runbooks);

  it('the rules are exactly the alerts docs/reference.md lists', () => {
    expect(REFERENCE_ALERTS.length).toBeGreaterThan(12);
    expect(loadRules().map((r) => r.alert)).toEqual(REFERENCE_ALERTS);
  });

  it('each rule has a for, labels.severity, summary, description and a runbook_url that resolves', () => {
    for (const rule of loadRules()) {
      expect(rule.for, `${rule.alert}.for`).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, `${rule.alert} summary`).toBeTruthy();
      expect(rule.annotations?.description, `${rule.alert} description`).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url).toBe(`docs/runbooks.md#${rule.alert.toLowerCase()}`);
      expect(
        runbookAnchors.has(rule.alert.toLowerCase()),
        `docs/runbooks.md has a section ${rule.alert}`,
      ).toBe(true);
    }
  });

  it('the Grafana-managed Graphite rules: task failures, no records, event-time lag and consumer lag, with the same metadata', () => {
    const doc = parse(readFileSync(GRAFANA_RULES_FILE, 'utf8')) as {
      apiVersion: number;
      groups: {
        rules: {
          title: string;
          for: string;
          condition: string;
          labels: Record<string, string>;
          annotations: Record<string, string>;
        }[];
      }[];
    };
    expect(doc.apiVersion).toBe(1);
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.title)).toEqual([
      'SidestreamTaskFailures',
      'SidestreamNoRecordsProcessed',
      'SidestreamEventTimeLagHigh',
      'SidestreamConsumerLagGrowing',
    ]);
    const prom = new Map(loadRules().map((r) => [r.alert, r]));
    for (const r of rules) {
      expect(r.for).toBe(prom.get(r.title)!.for);
      expect(r.labels.severity).toBe(prom.get(r.title)!.labels!.severity);
      expect(r.annotations.summary && r.annotations.description).toBeTruthy();
      expect(r.annotations.runbook_url).toBe(`docs/runbooks.md#${r.title.toLowerCase()}`);
    }
  });
});
