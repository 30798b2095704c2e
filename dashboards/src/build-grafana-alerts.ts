/**
 * Grafana-managed alert rules over the Graphite datasource, as a provisioning file
 * (alerts/grafana/sidestream-graphite.yml): the three classic alerts (SidestreamTaskFailures,
 * SidestreamNoRecordsProcessed, SidestreamEventTimeLagHigh) and consumer lag
 * (SidestreamConsumerLagGrowing), with the names, severities, annotations and thresholds of the
 * Prometheus rules (alerts/sidestream.rules.yml). Each rule is one Graphite query (per app, or per
 * app and partition, by groupByNode), a reduce over the rule's window and a threshold; the
 * Graphite paths come from graphitePath() (the exporter's naming function) with `*` for the app.
 *
 * Graphite series carry no labels: Grafana labels each alert instance with `name`, the series name,
 * which groupByNode makes the app (`<app>.<topic>.<partition>` for consumer lag).
 *
 * The rules name their datasource by uid: GRAPHITE_DATASOURCE_UID, which the Graphite datasource
 * must have (docs/dashboards.md shows a datasource provisioning file that sets it).
 */
import { QueryBuilder, RuleBuilder, RuleGroupBuilder } from '@grafana/grafana-foundation-sdk/alerting';
import { TypeReduceBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { GraphiteQueryBuilder } from './build-dashboards.js';
import { type DashboardMetricName, graphitePath } from './metric-refs.js';

export const GRAPHITE_DATASOURCE_UID = 'sidestream-graphite';
export const GRAFANA_RULES_FILE = 'alerts/grafana/sidestream-graphite.yml';

type Reducer = 'sum' | 'min' | 'max' | 'last';
type Comparison = 'gt' | 'lt';

export interface GraphiteRuleSpec {
  readonly alert: string;
  /** The Graphite expression, evaluated over the last `windowSeconds`. */
  readonly target: string;
  readonly windowSeconds: number;
  readonly reducer: Reducer;
  readonly comparison: Comparison;
  readonly threshold: number;
  readonly forDuration: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  readonly description: string;
}

/** Every app's series of a metric: `sidestream.*.<name>[.*...]`. */
const all = (name: DashboardMetricName, suffix?: string) => graphitePath(name, {}, suffix, '*');
/** Node 1 of a dotted sidestream path is the app (`<prefix>.<app>...`, default prefix has one node). */
const APP = 1;

export const GRAPHITE_RULES: readonly GraphiteRuleSpec[] = [
  {
    alert: 'SidestreamTaskFailures',
    target: `groupByNode(nonNegativeDerivative(${all('sidestream_task_failures_total')}), ${APP}, 'sumSeries')`,
    windowSeconds: 60,
    reducer: 'sum',
    comparison: 'gt',
    threshold: 4,
    forDuration: '30s',
    severity: 'warning',
    summary: '{{ $labels.name }}: more than 4 task failures within 1m',
    description:
      'App {{ $labels.name }} had {{ $values.B.Value }} failed task attempts in the last minute (threshold 4).',
  },
  {
    alert: 'SidestreamNoRecordsProcessed',
    target: `groupByNode(nonNegativeDerivative(${all('sidestream_records_processed_total')}), ${APP}, 'sumSeries')`,
    windowSeconds: 300,
    reducer: 'sum',
    comparison: 'lt',
    threshold: 1,
    forDuration: '1m',
    severity: 'critical',
    summary: '{{ $labels.name }}: no records processed in 5m',
    description: 'App {{ $labels.name }} completed no batch with input records in the last 5 minutes.',
  },
  {
    alert: 'SidestreamEventTimeLagHigh',
    // Per app: the largest average lag over its streams divided by its batch interval; above 1 fires.
    target: `divideSeriesLists(groupByNode(${all('sidestream_last_batch_event_time_lag_avg_seconds')}, ${APP}, 'maxSeries'), groupByNode(${all('sidestream_batch_interval_seconds')}, ${APP}, 'maxSeries'))`,
    windowSeconds: 60,
    reducer: 'last',
    comparison: 'gt',
    threshold: 1,
    forDuration: '2m',
    severity: 'warning',
    summary: '{{ $labels.name }}: event-time lag above the batch interval',
    description:
      "The last batch's average event-time lag of {{ $labels.name }} is {{ $values.B.Value }} batch intervals (threshold 1).",
  },
  {
    alert: 'SidestreamConsumerLagGrowing',
    // Graphite cannot join the lag with its own derivative per series, so "growing" is read as
    // "above 60 s during the whole 5m window" (the lowest point of the window is above 60 s).
    target: `groupByNodes(${all('sidestream_kafka_consumer_lag_seconds')}, 'maxSeries', ${APP}, 3, 4)`,
    windowSeconds: 300,
    reducer: 'min',
    comparison: 'gt',
    threshold: 60,
    forDuration: '5m',
    severity: 'warning',
    summary: '{{ $labels.name }}: consumer lag above 60s for 5m',
    description:
      'The oldest unprocessed record of a partition has been older than 60 s for 5 minutes ({{ $values.B.Value }} s now).',
  },
];

function ruleBuilder(spec: GraphiteRuleSpec): RuleBuilder {
  const exprDs = { type: '__expr__', uid: '__expr__' };
  return new RuleBuilder(spec.alert)
    .uid(spec.alert.replace(/^Sidestream/, 'sidestream-').toLowerCase())
    .condition('C')
    .withQuery(
      new QueryBuilder('A')
        .datasourceUid(GRAPHITE_DATASOURCE_UID)
        .relativeTimeRange({ from: spec.windowSeconds, to: 0 })
        .model(
          new GraphiteQueryBuilder(spec.target, 'A', { type: 'graphite', uid: GRAPHITE_DATASOURCE_UID }),
        ),
    )
    .withQuery(
      new QueryBuilder('B')
        .datasourceUid('__expr__')
        .model(
          new TypeReduceBuilder()
            .refId('B')
            .datasource(exprDs)
            .expression('A')
            .reducer(spec.reducer)
            .settings({ mode: 'dropNN' }),
        ),
    )
    .withQuery(
      new QueryBuilder('C').datasourceUid('__expr__').model(
        new TypeThresholdBuilder()
          .refId('C')
          .datasource(exprDs)
          .expression('B')
          .conditions([{ evaluator: { type: spec.comparison, params: [spec.threshold] } }]),
      ),
    )
    .forDuration(spec.forDuration)
    .noDataState('NoData')
    .execErrState('Error')
    .labels({ severity: spec.severity })
    .annotations({
      summary: spec.summary,
      description: spec.description,
      runbook_url: `docs/runbooks.md#${spec.alert.toLowerCase()}`,
    });
}

/** The provisioning document (Grafana's `apiVersion: 1` alert-rule file). */
export function grafanaAlertProvisioning(): unknown {
  const group = new RuleGroupBuilder('sidestream-graphite').interval(60);
  for (const spec of GRAPHITE_RULES) group.withRule(ruleBuilder(spec));
  const built = group.build();
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: built.title,
        folder: 'sidestream',
        interval: '1m',
        // The provisioning file names group, folder and org once, above; not per rule.
        rules: (built.rules ?? []).map(({ folderUID: _f, ruleGroup: _g, orgID: _o, ...rule }) =>
          JSON.parse(JSON.stringify(rule)),
        ),
      },
    ],
  };
}
