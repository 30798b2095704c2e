/**
 * The Prometheus alert rules (alerts/sidestream.rules.yml), as code: every alert docs/reference.md
 * lists, with its expression, severity, annotations and the why of it, rendered to the rules
 * file's YAML with the bundle options applied: thresholds and `for` from alert-defaults.ts unless
 * overridden, the extra selectors added to every metric selector (and their equality matchers as
 * alert labels, so ALERTS keeps them), the runbook links under --runbook-url. `npm run dashboards`
 * writes the defaults; `sidestream alerts` writes the same with the user's options.
 */

import { type AlertName, TUNABLE_ALERTS } from './alert-defaults.js';
import { type BundleOptions, forOf, parseMatcher, runbookUrl, thresholdOf } from './bundle-options.js';
import type { DashboardMetricName } from './metric-refs.js';
import { selectSeries } from './prom-scope.js';

export const PROMETHEUS_RULES_FILE = 'alerts/sidestream.rules.yml';

/** Writes a metric selector with the extra selectors added. */
type Select = (name: DashboardMetricName | 'up', matchers?: string) => string;

interface RuleContext {
  readonly m: Select;
  /** The alert's threshold (its default or --threshold); NaN for an alert without one. */
  readonly t: number;
  /** The alert's `for` (its default or --for). */
  readonly f: string;
}

interface RuleSpec {
  readonly alert: AlertName;
  /** Why the rule is as it is; a comment above it in the file. */
  readonly comment?: string;
  readonly severity: 'warning' | 'critical';
  readonly expr: (c: RuleContext) => string;
  readonly summary: (c: RuleContext) => string;
  readonly description: (c: RuleContext) => string;
}

const UNITS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week' };

/** `5m` as `5 minutes` in a description; a compound duration (`1h30m`) as written. */
function spelled(duration: string): string {
  const [, n, unit] = /^(\d+)([smhdw])$/.exec(duration) ?? [];
  if (n === undefined || unit === undefined) return duration;
  return `${n} ${UNITS[unit]}${n === '1' ? '' : 's'}`;
}

/** Seconds in a description: whole minutes as minutes (`300` as `5 minutes`). */
const seconds = (t: number) => (t >= 60 && t % 60 === 0 ? spelled(`${t / 60}m`) : spelled(`${t}s`));

const RULES: readonly RuleSpec[] = [
  {
    alert: 'SidestreamTaskFailures',
    comment:
      '"Fail", the classic alert: more than the threshold (default 4) task failures within the window (1m).',
    severity: 'warning',
    expr: ({ m, t }) => `sum by (app) (increase(${m('sidestream_task_failures_total')}[1m])) > ${t}`,
    summary: ({ t }) => `{{ $labels.app }}: more than ${t} task failures within 1m`,
    description: ({ t }) =>
      `App {{ $labels.app }} had {{ $value | printf "%.0f" }} failed task attempts in the last minute (threshold ${t}). Retries may still succeed; many failures mean a bad record, a broken dependency or a bug in the job.`,
  },
  {
    alert: 'SidestreamNoRecordsProcessed',
    comment:
      '"Ack", the classic alert: nothing processed within the window (default 5m) although input was there to process: receivers stored records, a partition\'s high watermark moved, or records wait after a committed offset. An idle or bursty input, with nothing to process, never fires it; a disconnected one fires SidestreamInputDisconnected instead.',
    severity: 'critical',
    expr: ({ m }) =>
      [
        `sum by (app) (increase(${m('sidestream_records_processed_total')}[5m])) == 0`,
        'and on (app)',
        '(',
        `  sum by (app) (increase(${m('sidestream_records_received_total')}[5m])) > 0`,
        '  or',
        `  max by (app) (delta(${m('sidestream_kafka_high_watermark')}[5m])) > 0`,
        '  or',
        `  max by (app) (${m('sidestream_kafka_committed_lag_records')}) > 0`,
        ')',
      ].join('\n'),
    summary: () => '{{ $labels.app }}: no records processed in 5m',
    description: () =>
      'App {{ $labels.app }} processed no records in the last 5 minutes although input was there (records received, its topics written to, or records waiting after the committed offset): batches are not completing or not reading their input.',
  },
  {
    alert: 'SidestreamEventTimeLagHigh',
    comment:
      '"Lag", the classic alert: the last batch\'s average event-time lag is above the batch interval.',
    severity: 'warning',
    expr: ({ m }) =>
      [
        `max by (app, stream) (${m('sidestream_last_batch_event_time_lag_avg_seconds')})`,
        '> on (app) group_left ()',
        `max by (app) (${m('sidestream_batch_interval_seconds')})`,
      ].join('\n'),
    summary: () => '{{ $labels.app }}/{{ $labels.stream }}: event-time lag above the batch interval',
    description: () =>
      'The last batch of {{ $labels.app }} read records of stream {{ $labels.stream }} that were on average {{ $value | humanizeDuration }} old, more than one batch interval.',
  },
  {
    alert: 'SidestreamBatchesQueueing',
    severity: 'warning',
    expr: ({ m, t }) => `max by (app) (${m('sidestream_batches_waiting')}) > ${t}`,
    summary: () => '{{ $labels.app }}: batches queueing behind a slow one',
    description: ({ f }) =>
      `{{ $value | printf "%.0f" }} batches of {{ $labels.app }} are waiting to start, for ${spelled(f)}: processing takes longer than the batch interval.`,
  },
  {
    alert: 'SidestreamConsumerLagGrowing',
    comment:
      'Lag above the threshold (default 60 s) that is still growing over 5m. The committed lag, what kafka-lag-exporter and Burrow call lag (it counts batches planned but not committed); for inputs that do not report it, the planned lag (docs/telemetry.md, "Two Kafka lags").',
    severity: 'warning',
    expr: ({ m, t }) =>
      [
        '(',
        `  max by (app, topic, partition) (${m('sidestream_kafka_committed_lag_seconds')}) > ${t}`,
        '  and',
        `  max by (app, topic, partition) (deriv(${m('sidestream_kafka_committed_lag_seconds')}[5m])) > 0`,
        ')',
        'or',
        '(',
        `  max by (app, topic, partition) (${m('sidestream_kafka_consumer_lag_seconds')}) > ${t}`,
        '  and',
        `  max by (app, topic, partition) (deriv(${m('sidestream_kafka_consumer_lag_seconds')}[5m])) > 0`,
        '  unless on (app, topic, partition)',
        `  max by (app, topic, partition) (${m('sidestream_kafka_committed_lag_seconds')})`,
        ')',
      ].join('\n'),
    summary: () =>
      '{{ $labels.app }}: consumer lag of {{ $labels.topic }}/{{ $labels.partition }} keeps growing',
    description: () =>
      'The oldest unprocessed record of {{ $labels.topic }} partition {{ $labels.partition }} is {{ $value | humanizeDuration }} old and the lag is still growing: {{ $labels.app }} consumes slower than producers write.',
  },
  {
    alert: 'SidestreamPartitionStalled',
    severity: 'critical',
    expr: ({ m }) =>
      `max by (app, topic, partition) (${m('sidestream_kafka_partition_status', 'status=~"stall|stop"')}) == 1`,
    summary: () => '{{ $labels.app }}: partition {{ $labels.topic }}/{{ $labels.partition }} stalled',
    description: ({ f }) =>
      `Partition {{ $labels.topic }}/{{ $labels.partition }} of {{ $labels.app }} has status stall or stop for ${spelled(f)}: records wait but its committed offset does not move.`,
  },
  {
    alert: 'SidestreamBatchFailed',
    severity: 'critical',
    expr: ({ m }) => `sum by (app) (increase(${m('sidestream_batches_total', 'outcome="failed"')}[5m])) > 0`,
    summary: () => '{{ $labels.app }}: a batch failed',
    description: () =>
      '{{ $labels.app }} completed {{ $value | printf "%.0f" }} failed batches in the last 5 minutes (an output operation failed after its task retries). With the default --on-batch-failure stop the agent stops.',
  },
  {
    alert: 'SidestreamAgentDown',
    severity: 'critical',
    expr: ({ m }) => `${m('up', 'job=~"sidestream.*"')} == 0`,
    summary: () => 'sidestream agent {{ $labels.instance }} is down',
    description: ({ f }) =>
      `Prometheus could not scrape the sidestream agent at {{ $labels.instance }} (job {{ $labels.job }}) for ${spelled(f)}: the process is gone, hung, or its --http address changed.`,
  },
  {
    alert: 'SidestreamCheckpointStale',
    severity: 'warning',
    expr: ({ m, t }) => `time() - max by (app) (${m('sidestream_last_checkpoint_timestamp_seconds')}) > ${t}`,
    summary: ({ t }) => `{{ $labels.app }}: no checkpoint for over ${seconds(t)}`,
    description: ({ t }) =>
      `The last checkpoint of {{ $labels.app }} completed {{ $value | humanizeDuration }} ago: a restart now would replay more than ${seconds(t)} of input.`,
  },
  {
    alert: 'SidestreamReceiverErrors',
    severity: 'warning',
    expr: ({ m }) => `sum by (app, stream) (increase(${m('sidestream_receiver_errors_total')}[5m])) > 0`,
    summary: () => '{{ $labels.app }}: receiver of {{ $labels.stream }} reports errors',
    description: () =>
      'The receiver of stream {{ $labels.stream }} in {{ $labels.app }} reported {{ $value | printf "%.0f" }} errors in the last 5 minutes.',
  },
  {
    alert: 'SidestreamInputErrors',
    severity: 'warning',
    expr: ({ m }) => `sum by (app, stream) (increase(${m('sidestream_input_errors_total')}[5m])) > 0`,
    summary: () => '{{ $labels.app }}: input {{ $labels.stream }} reports failures',
    description: () =>
      'Input {{ $labels.stream }} of {{ $labels.app }} reported {{ $value | printf "%.0f" }} failures in the last 5 minutes (cannot reach its upstream, a commit upstream failed, or stored data could not be read back).',
  },
  {
    alert: 'SidestreamWalErrors',
    severity: 'critical',
    expr: ({ m }) => `sum by (app) (increase(${m('sidestream_wal_errors_total')}[5m])) > 0`,
    summary: () => '{{ $labels.app }}: write-ahead log writes fail',
    description: () =>
      '{{ $value | printf "%.0f" }} write-ahead-log writes of {{ $labels.app }} failed in the last 5 minutes: received data may not survive a crash.',
  },
  {
    alert: 'SidestreamRestartLoop',
    severity: 'critical',
    expr: ({ m, t }) => `sum by (app) (increase(${m('sidestream_restarts_total')}[15m])) > ${t}`,
    summary: ({ t }) => `{{ $labels.app }}: restarted more than ${t} times in 15m`,
    description: () =>
      '{{ $labels.app }} restarted {{ $value | printf "%.0f" }} times in the last 15 minutes: it crashes again after each recovery.',
  },
  {
    alert: 'SidestreamExporterFailing',
    severity: 'warning',
    expr: ({ m }) => `sum by (app, exporter) (increase(${m('sidestream_exporter_errors_total')}[5m])) > 0`,
    summary: () => '{{ $labels.app }}: the {{ $labels.exporter }} exporter keeps failing',
    description: ({ f }) =>
      `The {{ $labels.exporter }} exporter of {{ $labels.app }} has had errors (failed connects, send errors, dropped points) in every 5-minute window for ${spelled(f)}: that backend is missing data.`,
  },
  {
    alert: 'SidestreamBatchOverdue',
    comment:
      "The next batch is more than two (the threshold) batch intervals past its time and still not generated (an input's capture hangs: a plan waiting on a broker that does not answer). The gauge is already a duration, so no `for`: time to detect is two intervals plus one scrape.",
    severity: 'critical',
    expr: ({ m, t }) =>
      [
        `max by (app) (${m('sidestream_next_batch_overdue_seconds')})`,
        '> on (app)',
        `(${t} * max by (app) (${m('sidestream_batch_interval_seconds')}))`,
      ].join('\n'),
    summary: () => '{{ $labels.app }}: the next batch is overdue',
    description: ({ t }) =>
      `The next batch of {{ $labels.app }} is {{ $value | humanizeDuration }} past its time and still not generated (more than ${t === 2 ? 'two' : t} batch intervals): an input cannot capture its data (a broker that does not answer) or the event loop is blocked; nothing is processed meanwhile. GET /readyz says what it waits for.`,
  },
  {
    alert: 'SidestreamInputDisconnected',
    comment:
      'An input not connected to its upstream for 1m (a receiver restarting, a refused socket, a missing file, a broker that does not answer). Silence alone is not disconnection.',
    severity: 'critical',
    expr: ({ m }) => `min by (app, stream) (${m('sidestream_input_connected')}) == 0`,
    summary: () => '{{ $labels.app }}: input {{ $labels.stream }} is not connected',
    description: ({ f }) =>
      `Input {{ $labels.stream }} of {{ $labels.app }} has not been connected to its upstream for ${spelled(f)}: nothing is read from it. GET /readyz and the agent's log (input <stream> disconnected: <reason>) say why.`,
  },
];

/** What the file is; with options, which ones it was written with (the defaults say so). */
function header(options: BundleOptions): string {
  const chosen = [
    ...options.selectors.map((x) => `--selector '${x}'`),
    ...Object.entries(options.thresholds).map(([a, t]) => `--threshold ${a}=${t}`),
    ...Object.entries(options.forDurations).map(([a, f]) => `--for ${a}=${f}`),
    ...(options.runbookUrl === undefined ? [] : [`--runbook-url ${options.runbookUrl}`]),
  ];
  const origin =
    chosen.length === 0
      ? [
          'Generated by `npm run dashboards` (src/dashboards/prometheus-rules.ts): do not edit; `sidestream alerts` writes it with other thresholds, `for` durations, selectors or runbook links.',
          'sidestream alert rules for Prometheus: every alert docs/reference.md lists. Thresholds and windows are the documented defaults (docs/runbooks.md has one section per alert, docs/dashboards.md says how to load this file). Unit tests: alerts/sidestream.test.yml (`promtool test rules alerts/sidestream.test.yml`).',
        ]
      : [
          `Written by \`sidestream alerts ${chosen.join(' ')}\` (src/dashboards/prometheus-rules.ts).`,
          'sidestream alert rules for Prometheus: every alert docs/reference.md lists, with the documented defaults (docs/runbooks.md) but for those options.',
        ];
  const shared =
    "Every sidestream series carries `app`; the rules aggregate `by (app)` (plus the labels that say where: stream, topic, partition, exporter) so that several agents of one app (instances) raise one alert. SidestreamAgentDown is the only rule on Prometheus's own `up`: it expects the scrape job of the agents to be named `sidestream` or to start with it.";
  return [...origin, shared]
    .map((p) =>
      wrap(p, 97)
        .map((l) => `# ${l}`)
        .join('\n'),
    )
    .join('\n#\n');
}

/**
 * Words of `text` in lines of at most `width` characters (a longer word gets a line of its own); a
 * Go template action (`{{ $value | printf "%.0f" }}`) counts as one word, to stay readable.
 */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [word] of text.matchAll(/[^\s{]*\{\{.*?\}\}\S*|\S+/g)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * A YAML value after `key:` at `indent`: plain when YAML reads a one-line PromQL back unchanged,
 * else a folded block (`>-`), whose content is taken as is (a PromQL line break is whitespace).
 */
function scalar(value: string, indent: string): string {
  const plainOk = !value.includes('\n') && !/: | #|^[-?:,[\]{}#&*!|>'"%@`]/.test(value);
  if (plainOk) return ` ${value}`;
  return ` >-\n${value
    .split('\n')
    .map((l) => `${indent}  ${l}`)
    .join('\n')}`;
}

/** The rules file's text with `options` applied. */
export function prometheusRules(options: BundleOptions): string {
  const selectors = options.selectors;
  const m: Select = (name, matchers) => selectSeries(name, matchers ?? '', selectors);
  // Equality selectors become labels of every alert: the rules aggregate them away, and ALERTS
  // (the dashboards' Firing alerts panel, routing) should still say which cluster it is.
  const extraLabels = selectors.map(parseMatcher).filter((x) => x.op === '=');
  const out = [header(options), 'groups:', '  - name: sidestream', '    rules:'];
  RULES.forEach((rule, i) => {
    const tunable = TUNABLE_ALERTS.includes(rule.alert);
    const c: RuleContext = {
      m,
      t: tunable ? thresholdOf(options, rule.alert) : Number.NaN,
      f: forOf(options, rule.alert),
    };
    if (i > 0) out.push('');
    if (rule.comment) out.push(...wrap(rule.comment, 92).map((l) => `      # ${l}`));
    out.push(`      - alert: ${rule.alert}`);
    out.push(`        expr:${scalar(rule.expr(c), '        ')}`);
    out.push(`        for: ${c.f}`);
    out.push('        labels:');
    out.push(`          severity: ${rule.severity}`);
    for (const l of extraLabels) out.push(`          ${l.name}: ${JSON.stringify(l.value)}`);
    out.push('        annotations:');
    out.push(`          summary: ${JSON.stringify(rule.summary(c))}`);
    out.push('          description: >-');
    out.push(...wrap(rule.description(c), 90).map((l) => `            ${l}`));
    out.push(`          runbook_url: ${runbookUrl(options, rule.alert)}`);
  });
  return `${out.join('\n')}\n`;
}

/** The alerts, in the file's order (docs/reference.md lists them in this order). */
export const PROMETHEUS_RULE_ALERTS: readonly AlertName[] = RULES.map((r) => r.alert);
