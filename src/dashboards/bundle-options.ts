/**
 * The options of the dashboards-and-alerts bundle (`sidestream dashboards`, `sidestream alerts`):
 * what a user sets at import time, checked here once so the builders can trust them. A bad value
 * is refused with SS_USAGE, naming the flag, the value and what would be accepted.
 */
import { SidestreamError } from '../errors.js';
import {
  ALERT_DEFAULTS,
  ALERT_NAMES,
  type AlertName,
  TUNABLE_ALERTS,
  thresholdDefault,
} from './alert-defaults.js';

export interface BundleOptions {
  /**
   * The uid of the Grafana datasource the dashboards (and the Grafana-managed Graphite rules)
   * read. Unset: the dashboards ask for it on import (`__inputs`), and the Graphite rules use
   * `sidestream-graphite`.
   */
  readonly datasourceUid?: string;
  /** PromQL label matchers (`cluster="a"`) added to every selector of every query and rule. */
  readonly selectors: readonly string[];
  readonly thresholds: Readonly<Partial<Record<AlertName, number>>>;
  readonly forDurations: Readonly<Partial<Record<AlertName, string>>>;
  /** The runbooks page: links become `<runbookUrl>#<alert in lower case>`. */
  readonly runbookUrl?: string;
}

/** What the shipped files are generated with. */
export const DEFAULT_BUNDLE_OPTIONS: BundleOptions = { selectors: [], thresholds: {}, forDurations: {} };

/** The runbook link of an alert. */
export function runbookUrl(options: BundleOptions, alert: string): string {
  return `${options.runbookUrl ?? 'docs/runbooks.md'}#${alert.toLowerCase()}`;
}

export function thresholdOf(options: BundleOptions, alert: AlertName): number {
  const value = options.thresholds[alert] ?? thresholdDefault(alert)?.value;
  if (value === undefined) throw new Error(`${alert} has no threshold`);
  return value;
}

export function forOf(options: BundleOptions, alert: AlertName): string {
  return options.forDurations[alert] ?? ALERT_DEFAULTS[alert].for;
}

/** A label matcher: name, operator, double-quoted value (PromQL's escapes), nothing else. */
const MATCHER = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\\p{Cc}]|\\.)*")$/u;
/** Prometheus's duration: units from ms to y, largest first, e.g. 90s, 1h30m, 0s. */
const DURATION = /^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/;
/** Grafana's datasource uids: letters, digits, - and _, at most 40. */
const UID = /^[a-zA-Z0-9_-]{1,40}$/;

/** Labels the rules set; an equality selector becomes an alert label too, so it cannot be one. */
const RULE_LABELS = ['severity', 'alertname', 'alertstate'];

export interface Matcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

/** The parts of a matcher that parseBundleOptions accepted. */
export function parseMatcher(selector: string): Matcher {
  const [, name, op, quoted] = MATCHER.exec(selector.trim()) ?? [];
  if (name === undefined || op === undefined || quoted === undefined) {
    throw new Error(`not a label matcher: ${selector}`);
  }
  // PromQL's double-quoted strings take JSON's escapes (and a few more, refused here).
  return { name, op: op as Matcher['op'], value: JSON.parse(quoted) as string };
}

/** The flags as commander hands them over (repeatable ones as arrays). */
export interface BundleFlags {
  readonly datasourceUid?: string;
  readonly selector?: readonly string[];
  readonly threshold?: readonly string[];
  readonly for?: readonly string[];
  readonly runbookUrl?: string;
}

/** A refused option of `sidestream dashboards` or `sidestream alerts` (exit 2). */
export const usage = (message: string) => new SidestreamError('SS_USAGE', message);

function alertAssignment(flag: string, raw: string, choices: readonly string[]): [AlertName, string] {
  const eq = raw.indexOf('=');
  const name = eq < 0 ? raw : raw.slice(0, eq);
  if (eq < 0 || !(choices as readonly string[]).includes(name)) {
    throw usage(
      `${flag} '${raw}': ${eq < 0 ? 'expected ALERT=VALUE' : `unknown alert '${name}'`}; ` +
        `the alerts it takes are ${choices.join(', ')}`,
    );
  }
  return [name as AlertName, raw.slice(eq + 1)];
}

/** Checks the flags; throws SS_USAGE naming the flag and the fix. */
export function parseBundleOptions(flags: BundleFlags): BundleOptions {
  const selectors = (flags.selector ?? []).map((s) => {
    try {
      parseMatcher(s);
    } catch {
      throw usage(
        `--selector '${s}': expected a PromQL label matcher NAME OP "VALUE" with OP one of = != =~ !~, ` +
          `for example --selector 'cluster="eu-1"'`,
      );
    }
    const { name, op } = parseMatcher(s);
    if (op === '=' && RULE_LABELS.includes(name)) {
      throw usage(
        `--selector '${s}': ${name} is a label the alert rules set themselves; select on another label`,
      );
    }
    return s.trim();
  });
  const thresholds: Partial<Record<AlertName, number>> = {};
  for (const raw of flags.threshold ?? []) {
    const [alert, value] = alertAssignment('--threshold', raw, TUNABLE_ALERTS);
    const n = value.trim() === '' ? Number.NaN : Number(value);
    if (!Number.isFinite(n) || n < 0) {
      const t = thresholdDefault(alert);
      throw usage(
        `--threshold '${raw}': '${value}' is not a number >= 0 (${t?.unit}); for example ${alert}=${t?.value}`,
      );
    }
    thresholds[alert] = n;
  }
  const forDurations: Partial<Record<AlertName, string>> = {};
  for (const raw of flags.for ?? []) {
    const [alert, value] = alertAssignment('--for', raw, ALERT_NAMES);
    if (value === '' || !DURATION.test(value)) {
      throw usage(
        `--for '${raw}': '${value}' is not a Prometheus duration; for example ${alert}=5m, 90s or 1h30m`,
      );
    }
    forDurations[alert] = value;
  }
  if (flags.datasourceUid !== undefined && !UID.test(flags.datasourceUid)) {
    throw usage(
      `--datasource-uid '${flags.datasourceUid}': a Grafana datasource uid is 1 to 40 letters, digits, - or _ ` +
        "(the uid in the datasource's URL or provisioning file)",
    );
  }
  if (flags.runbookUrl !== undefined) checkRunbookUrl(flags.runbookUrl);
  return {
    selectors,
    thresholds,
    forDurations,
    ...(flags.datasourceUid === undefined ? {} : { datasourceUid: flags.datasourceUid }),
    ...(flags.runbookUrl === undefined ? {} : { runbookUrl: flags.runbookUrl }),
  };
}

function checkRunbookUrl(raw: string): void {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {}
  if (!url || !['http:', 'https:'].includes(url.protocol) || raw.includes('#') || /\s/.test(raw)) {
    throw usage(
      `--runbook-url '${raw}': expected the absolute http(s) URL of the runbooks page, without a #fragment ` +
        '(each alert links to <URL>#<alert in lower case>); for example ' +
        'https://git.example.com/sidestream/blob/main/docs/runbooks.md',
    );
  }
}
