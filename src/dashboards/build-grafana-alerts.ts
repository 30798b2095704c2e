/**
 * Grafana-managed alert rules over the Graphite datasource, as a provisioning file
 * (alerts/grafana/sidestream-graphite.yml): the three classic alerts (SidestreamTaskFailures,
 * SidestreamNoRecordsProcessed, SidestreamEventTimeLagHigh) and consumer lag
 * (SidestreamConsumerLagGrowing), with the names, severities, annotations and thresholds of the
 * Prometheus rules (alerts/sidestream.rules.yml). Each rule is one Graphite query (per app, or per
 * app and partition, by groupByNode), a reduce over the rule's window and a threshold; a rule
 * with a condition on a second query (SidestreamNoRecordsProcessed: only while input was there)
 * reduces both and joins them in a math expression. The Graphite paths come from graphitePath()
 * (the exporter's naming function) with `*` for the app.
 *
 * Graphite series carry no labels: Grafana labels each alert instance with `name`, the series name,
 * which groupByNode makes the app (`<app>.<topic>.<partition>` for consumer lag).
 *
 * The rules name their datasource by uid: GRAPHITE_DATASOURCE_UID, which the Graphite datasource
 * must have (docs/dashboards.md shows a datasource provisioning file that sets it), or the bundle's
 * --datasource-uid. Thresholds, `for` and runbook links follow the bundle options like the
 * Prometheus rules'.
 */
import { QueryBuilder, RuleBuilder, RuleGroupBuilder } from '@grafana/grafana-foundation-sdk/alerting';
import {
  TypeMathBuilder,
  TypeReduceBuilder,
  TypeThresholdBuilder,
} from '@grafana/grafana-foundation-sdk/expr';
import type { AlertName } from './alert-defaults.js';
import { GraphiteQueryBuilder } from './build-dashboards.js';
import {
  type BundleOptions,
  DEFAULT_BUNDLE_OPTIONS,
  forOf,
  runbookUrl,
  thresholdOf,
} from './bundle-options.js';
import { type DashboardMetricName, graphitePath } from './metric-refs.js';

export const GRAPHITE_DATASOURCE_UID = 'sidestream-graphite';
export const GRAFANA_RULES_FILE = 'alerts/grafana/sidestream-graphite.yml';

type Reducer = 'sum' | 'min' | 'max' | 'last';
type Comparison = 'gt' | 'lt';

/** A second condition the rule needs as well, on its own query over the same window. */
export interface AlsoCondition {
  readonly target: string;
  readonly reducer: Reducer;
  readonly comparison: Comparison;
  readonly threshold: number;
}

export interface GraphiteRuleSpec {
  readonly alert: AlertName;
  /** The Graphite expression, evaluated over the last `windowSeconds`. */
  readonly target: string;
  readonly windowSeconds: number;
  readonly reducer: Reducer;
  readonly comparison: Comparison;
  readonly threshold: number;
  /** When set, the rule fires only while this holds too (per series, joined on the app). */
  readonly also?: AlsoCondition;
  readonly forDuration: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  readonly description: string;
}

/** Every app's series of a metric: `sidestream.*.<name>[.*...]`. */
const all = (name: DashboardMetricName, suffix?: string) => graphitePath(name, {}, suffix, '*');
/** Node 1 of a dotted sidestream path is the app (`<prefix>.<app>...`, default prefix has one node). */
const APP = 1;

/** The rules with the bundle's thresholds and `for` durations. */
export function graphiteRules(options: BundleOptions): readonly GraphiteRuleSpec[] {
  const o = options;
  return [
    {
      alert: 'SidestreamTaskFailures',
      target: `groupByNode(nonNegativeDerivative(${all('sidestream_task_failures_total')}), ${APP}, 'sumSeries')`,
      windowSeconds: 60,
      reducer: 'sum',
      comparison: 'gt',
      threshold: thresholdOf(o, 'SidestreamTaskFailures'),
      forDuration: forOf(o, 'SidestreamTaskFailures'),
      severity: 'warning',
      summary: `{{ $labels.name }}: more than ${thresholdOf(o, 'SidestreamTaskFailures')} task failures within 1m`,
      description: `App {{ $labels.name }} had {{ $values.B.Value }} failed task attempts in the last minute (threshold ${thresholdOf(o, 'SidestreamTaskFailures')}).`,
    },
    {
      alert: 'SidestreamNoRecordsProcessed',
      target: `groupByNode(nonNegativeDerivative(${all('sidestream_records_processed_total')}), ${APP}, 'sumSeries')`,
      windowSeconds: 300,
      reducer: 'sum',
      comparison: 'lt',
      threshold: 1,
      // Input was there: records received, a high watermark that moved, records after a committed
      // offset (any of them above 0 in the window). An idle or bursty input never fires it.
      also: {
        target: `groupByNode(group(nonNegativeDerivative(${all('sidestream_records_received_total')}), nonNegativeDerivative(${all('sidestream_kafka_high_watermark')}), ${all('sidestream_kafka_committed_lag_records')}), ${APP}, 'sumSeries')`,
        reducer: 'sum',
        comparison: 'gt',
        threshold: 0,
      },
      forDuration: forOf(o, 'SidestreamNoRecordsProcessed'),
      severity: 'critical',
      summary: '{{ $labels.name }}: no records processed in 5m',
      description:
        'App {{ $labels.name }} processed no records in the last 5 minutes although input was there (records received, its topics written to, or records waiting after the committed offset).',
    },
    {
      alert: 'SidestreamEventTimeLagHigh',
      // Per app: the largest average lag over its streams divided by its batch interval; above 1 fires.
      target: `divideSeriesLists(groupByNode(${all('sidestream_last_batch_event_time_lag_avg_seconds')}, ${APP}, 'maxSeries'), groupByNode(${all('sidestream_batch_interval_seconds')}, ${APP}, 'maxSeries'))`,
      windowSeconds: 60,
      reducer: 'last',
      comparison: 'gt',
      threshold: 1,
      forDuration: forOf(o, 'SidestreamEventTimeLagHigh'),
      severity: 'warning',
      summary: '{{ $labels.name }}: event-time lag above the batch interval',
      description:
        "The last batch's average event-time lag of {{ $labels.name }} is {{ $values.B.Value }} batch intervals (threshold 1).",
    },
    {
      alert: 'SidestreamConsumerLagGrowing',
      // Graphite cannot join the lag with its own derivative per series, so "growing" is read as
      // "above 60 s during the whole 5m window" (the lowest point of the window is above 60 s). The
      // larger of the two lags per partition: the committed one (never below the planned one) when
      // the input reports it, the planned one otherwise, as the Prometheus rule reads them.
      target: `groupByNodes(group(${all('sidestream_kafka_committed_lag_seconds')}, ${all('sidestream_kafka_consumer_lag_seconds')}), 'maxSeries', ${APP}, 3, 4)`,
      windowSeconds: 300,
      reducer: 'min',
      comparison: 'gt',
      threshold: thresholdOf(o, 'SidestreamConsumerLagGrowing'),
      forDuration: forOf(o, 'SidestreamConsumerLagGrowing'),
      severity: 'warning',
      summary: `{{ $labels.name }}: consumer lag above ${thresholdOf(o, 'SidestreamConsumerLagGrowing')}s for 5m`,
      description: `The oldest unprocessed record of a partition has been older than ${thresholdOf(o, 'SidestreamConsumerLagGrowing')} s for 5 minutes ({{ $values.B.Value }} s now).`,
    },
  ];
}

const EXPR_DS = { type: '__expr__', uid: '__expr__' };

/** A Graphite query over the rule's window. */
function graphiteQuery(refId: string, target: string, windowSeconds: number, uid: string): QueryBuilder {
  return new QueryBuilder(refId)
    .datasourceUid(uid)
    .relativeTimeRange({ from: windowSeconds, to: 0 })
    .model(new GraphiteQueryBuilder(target, refId, { type: 'graphite', uid }));
}

/** A reduce of query `of` over the window. */
function reduceQuery(refId: string, of: string, reducer: Reducer): QueryBuilder {
  return new QueryBuilder(refId)
    .datasourceUid('__expr__')
    .model(
      new TypeReduceBuilder()
        .refId(refId)
        .datasource(EXPR_DS)
        .expression(of)
        .reducer(reducer)
        .settings({ mode: 'dropNN' }),
    );
}

const MATH_OPERATOR: Record<Comparison, string> = { gt: '>', lt: '<' };

function ruleBuilder(spec: GraphiteRuleSpec, options: BundleOptions): RuleBuilder {
  const uid = options.datasourceUid ?? GRAPHITE_DATASOURCE_UID;
  const rule = new RuleBuilder(spec.alert)
    .uid(spec.alert.replace(/^Sidestream/, 'sidestream-').toLowerCase())
    .withQuery(graphiteQuery('A', spec.target, spec.windowSeconds, uid))
    .withQuery(reduceQuery('B', 'A', spec.reducer));
  const also = spec.also;
  if (also) {
    // Both conditions per app, joined on the series name (the app, from groupByNode).
    rule
      .condition('E')
      .withQuery(graphiteQuery('C', also.target, spec.windowSeconds, uid))
      .withQuery(reduceQuery('D', 'C', also.reducer))
      .withQuery(
        new QueryBuilder('E')
          .datasourceUid('__expr__')
          .model(
            new TypeMathBuilder()
              .refId('E')
              .datasource(EXPR_DS)
              .expression(
                `$B ${MATH_OPERATOR[spec.comparison]} ${spec.threshold} && $D ${MATH_OPERATOR[also.comparison]} ${also.threshold}`,
              ),
          ),
      );
  } else {
    rule.condition('C').withQuery(
      new QueryBuilder('C').datasourceUid('__expr__').model(
        new TypeThresholdBuilder()
          .refId('C')
          .datasource(EXPR_DS)
          .expression('B')
          .conditions([{ evaluator: { type: spec.comparison, params: [spec.threshold] } }]),
      ),
    );
  }
  return rule
    .forDuration(spec.forDuration)
    .noDataState('NoData')
    .execErrState('Error')
    .labels({ severity: spec.severity })
    .annotations({
      summary: spec.summary,
      description: spec.description,
      runbook_url: runbookUrl(options, spec.alert),
    });
}

/** The provisioning document (Grafana's `apiVersion: 1` alert-rule file). */
export function grafanaAlertProvisioning(options: BundleOptions = DEFAULT_BUNDLE_OPTIONS): unknown {
  const group = new RuleGroupBuilder('sidestream-graphite').interval(60);
  for (const spec of graphiteRules(options)) group.withRule(ruleBuilder(spec, options));
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
