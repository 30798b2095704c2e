/**
 * What each dashboard shows, once for both datasources: every panel carries its PromQL targets
 * and its Graphite targets side by side, so the Prometheus and Graphite variants cannot drift
 * apart. PromQL selectors come from q.sel()/q.buckets() and Graphite paths from graphitePath() (the
 * exporter's naming function); metric names are typed, so a name outside the catalogue does not
 * compile.
 */
import { graphitePath as g } from './metric-refs.js';
import { type PromScope, promScope } from './prom-scope.js';

export interface PromTarget {
  readonly expr: string;
  readonly legend: string;
}

export interface GraphiteTarget {
  readonly target: string;
}

export type PanelKind = 'timeseries' | 'stat' | 'table' | 'alertlist' | 'text';

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id (`s`, `bytes`, `short`, `suffix: rec/s`...). */
  readonly unit: string;
  readonly kind?: PanelKind;
  /** Width in grid columns (of 24); default 12. */
  readonly width?: number;
  readonly prom: readonly PromTarget[];
  /** Empty: the panel has no Graphite form (see graphiteNote). */
  readonly graphite: readonly GraphiteTarget[];
  /** Graphite variant only: what to show instead when `graphite` is empty. */
  readonly graphiteNote?: string;
  /** Graphite variant only: a different unit (Graphite cannot subtract from now()). */
  readonly graphiteUnit?: string;
  /** Graphite variant only: use this kind instead (the firing-alerts list). */
  readonly graphiteKind?: PanelKind;
}

export interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

export interface DashboardSpec {
  /** Stable uid stem: `<stem>-prometheus` and `<stem>-graphite`. */
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly rows: readonly RowSpec[];
}

const RATE = '$__rate_interval';
/** aliasByNode index of the first label value after `<prefix>.<app>.<name>`. */
const L1 = 3;

const perSecond = (path: string, ...nodes: number[]) =>
  `aliasByNode(perSecond(${path}), ${[1, ...nodes].join(', ')})`;
const alias = (path: string, ...nodes: number[]) => `aliasByNode(${path}, ${[1, ...nodes].join(', ')})`;
const aliasSub = (path: string, label: string) => `alias(${path}, '${label}')`;

const delayPanel = (q: PromScope, kind: 'scheduling' | 'processing' | 'total', what: string): PanelSpec => {
  const last = `sidestream_last_batch_${kind}_delay_seconds` as const;
  const hist = `sidestream_batch_${kind}_delay_seconds` as const;
  return {
    title: `Batch ${kind} delay`,
    description: `${what} Solid: the last completed batch; p99: the 99th percentile over the batches of the interval.`,
    unit: 's',
    width: 8,
    prom: [
      { expr: `max by (app) (${q.sel(last)})`, legend: '{{app}} last' },
      {
        expr: `histogram_quantile(0.99, sum by (app, le) (rate(${q.buckets(hist)}[${RATE}])))`,
        legend: '{{app}} p99',
      },
    ],
    graphite: [{ target: alias(g(last)) }, { target: alias(g(hist, {}, 'p99'), 3, 4) }],
  };
};

const overview = (q: PromScope): DashboardSpec => ({
  uid: 'sidestream-overview',
  title: 'sidestream / Overview',
  description:
    'Per app: throughput, batch delays, backlog, task failures, event-time and consumer lag, alerts.',
  rows: [
    {
      title: 'Throughput',
      panels: [
        {
          title: 'Input rate',
          description:
            "Records per second entering the app, as Spark's UI counts it: the last batch's input records divided by the batch interval.",
          unit: 'suffix: rec/s',
          width: 8,
          prom: [
            {
              expr: `max by (app) (${q.sel('sidestream_last_batch_records')}) / on (app) max by (app) (${q.sel('sidestream_batch_interval_seconds')})`,
              legend: '{{app}}',
            },
          ],
          graphite: [
            {
              target: alias(
                `divideSeriesLists(${g('sidestream_last_batch_records')}, ${g('sidestream_batch_interval_seconds')})`,
              ),
            },
          ],
        },
        {
          title: 'Processed records/s',
          description:
            'Input records of completed batches per second, by input stream (sidestream_records_processed_total).',
          unit: 'suffix: rec/s',
          width: 8,
          prom: [
            {
              expr: `sum by (app, stream) (rate(${q.sel('sidestream_records_processed_total')}[${RATE}]))`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [{ target: perSecond(g('sidestream_records_processed_total'), L1) }],
        },
        {
          title: 'Last batch records',
          description: 'Input records of the most recently completed batch, over all inputs.',
          unit: 'short',
          width: 8,
          prom: [{ expr: `max by (app) (${q.sel('sidestream_last_batch_records')})`, legend: '{{app}}' }],
          graphite: [{ target: alias(g('sidestream_last_batch_records')) }],
        },
      ],
    },
    {
      title: 'Batches',
      panels: [
        delayPanel(
          q,
          'scheduling',
          'How long batches waited for the previous one (processing start - submission).',
        ),
        delayPanel(q, 'processing', "How long batches' output operations ran (processing end - start)."),
        delayPanel(
          q,
          'total',
          'Scheduling plus processing delay; above the batch interval the app falls behind.',
        ),
        {
          title: 'Batch generation',
          description:
            "How late batches are generated: the last completed batch's generation delay (batch time to submission, its inputs captured) and its p99, which Spark's delays do not include; last batch generation + total delay, how late that batch was overall; and the next batch's overdue time, live at every scrape, rising while an input's capture hangs (alert SidestreamBatchOverdue above two batch intervals).",
          unit: 's',
          prom: [
            {
              expr: `max by (app) (${q.sel('sidestream_last_batch_generation_delay_seconds')})`,
              legend: '{{app}} last generation',
            },
            {
              expr: `histogram_quantile(0.99, sum by (app, le) (rate(${q.buckets('sidestream_batch_generation_delay_seconds')}[${RATE}])))`,
              legend: '{{app}} generation p99',
            },
            {
              expr: `max by (app) (${q.sel('sidestream_last_batch_generation_delay_seconds')}) + on (app) max by (app) (${q.sel('sidestream_last_batch_total_delay_seconds')})`,
              legend: '{{app}} last batch, how late overall',
            },
            {
              expr: `max by (app) (${q.sel('sidestream_next_batch_overdue_seconds')})`,
              legend: '{{app}} next batch overdue',
            },
          ],
          graphite: [
            { target: aliasSub(g('sidestream_last_batch_generation_delay_seconds'), 'last generation') },
            { target: aliasSub(g('sidestream_batch_generation_delay_seconds', {}, 'p99'), 'generation p99') },
            {
              target: aliasSub(
                `sumSeries(${g('sidestream_last_batch_generation_delay_seconds')}, ${g('sidestream_last_batch_total_delay_seconds')})`,
                'last batch, how late overall',
              ),
            },
            { target: aliasSub(g('sidestream_next_batch_overdue_seconds'), 'next batch overdue') },
          ],
        },
        {
          title: 'Batches waiting',
          description:
            'Batches generated but not started because an earlier one still runs. Above 0 for long: processing is slower than the batch interval (alert SidestreamBatchesQueueing).',
          unit: 'short',
          prom: [{ expr: `max by (app) (${q.sel('sidestream_batches_waiting')})`, legend: '{{app}}' }],
          graphite: [{ target: alias(g('sidestream_batches_waiting')) }],
        },
        {
          title: 'Task failures',
          description:
            'Failed task attempts per minute by error type, retried or not (alert SidestreamTaskFailures: more than 4 within 1m).',
          unit: 'short',
          prom: [
            {
              expr: `sum by (app, error_type) (increase(${q.sel('sidestream_task_failures_total')}[1m]))`,
              legend: '{{app}} {{error_type}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_task_failures_total')}), '1min', 'sum', false), 1, ${L1})`,
            },
          ],
        },
      ],
    },
    {
      title: 'Lag',
      panels: [
        {
          title: 'Event-time lag (last batch)',
          description:
            "Average and largest (processing start - event time) over the last batch's records, by stream (alert SidestreamEventTimeLagHigh: average above the batch interval).",
          unit: 's',
          prom: [
            {
              expr: `max by (app, stream) (${q.sel('sidestream_last_batch_event_time_lag_avg_seconds')})`,
              legend: '{{app}} {{stream}} avg',
            },
            {
              expr: `max by (app, stream) (${q.sel('sidestream_last_batch_event_time_lag_max_seconds')})`,
              legend: '{{app}} {{stream}} max',
            },
          ],
          graphite: [
            { target: alias(g('sidestream_last_batch_event_time_lag_avg_seconds'), L1, 2) },
            { target: alias(g('sidestream_last_batch_event_time_lag_max_seconds'), L1, 2) },
          ],
        },
        {
          title: 'Event-time lag p99',
          description:
            '99th percentile of the event-time lag over all records, by stream (sidestream_event_time_lag_seconds).',
          unit: 's',
          prom: [
            {
              expr: `histogram_quantile(0.99, sum by (app, stream, le) (rate(${q.buckets('sidestream_event_time_lag_seconds')}[${RATE}])))`,
              legend: '{{app}} {{stream}} p99',
            },
          ],
          graphite: [{ target: alias(g('sidestream_event_time_lag_seconds', {}, 'p99'), L1) }],
        },
        {
          title: 'Consumer lag, worst partitions (records)',
          description:
            'Records left after the latest planned batch (high watermark - its until-offset), the five worst partitions.',
          unit: 'short',
          prom: [
            {
              expr: `topk(5, max by (app, topic, partition) (${q.sel('sidestream_kafka_consumer_lag_records')}))`,
              legend: '{{app}} {{topic}}/{{partition}}',
            },
          ],
          graphite: [
            { target: `highestMax(${alias(g('sidestream_kafka_consumer_lag_records'), L1, L1 + 1)}, 5)` },
          ],
        },
        {
          title: 'Consumer lag, worst partitions (seconds)',
          description:
            'Age of the oldest record not yet planned, by its Kafka timestamp; 0 when caught up (alert SidestreamConsumerLagGrowing).',
          unit: 's',
          prom: [
            {
              expr: `topk(5, max by (app, topic, partition) (${q.sel('sidestream_kafka_consumer_lag_seconds')}))`,
              legend: '{{app}} {{topic}}/{{partition}}',
            },
          ],
          graphite: [
            { target: `highestMax(${alias(g('sidestream_kafka_consumer_lag_seconds'), L1, L1 + 1)}, 5)` },
          ],
        },
      ],
    },
    {
      title: 'Alerts',
      panels: [
        {
          title: 'Firing alerts',
          description:
            'sidestream alerts firing now (Prometheus ALERTS series; the Graphite variant lists Grafana-managed alerts). The runbook_url annotation of each points at its section of docs/runbooks.md.',
          unit: 'short',
          kind: 'table',
          width: 24,
          prom: [
            {
              expr:
                // SidestreamAgentDown is on Prometheus's `up`, which has no app label: shown for every app.
                `sum by (alertname, app, instance, severity) (${q.alerts('alertstate="firing", alertname=~"Sidestream.*", app=~"$app"')}` +
                ` or ${q.alerts('alertstate="firing", alertname="SidestreamAgentDown"')})`,
              legend: '{{alertname}} {{app}}{{instance}}',
            },
          ],
          graphite: [],
          graphiteKind: 'alertlist',
        },
      ],
    },
  ],
});

const kafka = (q: PromScope): DashboardSpec => ({
  uid: 'sidestream-kafka',
  title: 'sidestream / Kafka partitions',
  description: 'Per topic partition of the direct Kafka streams: offsets, high watermark, lag and status.',
  rows: [
    {
      title: 'Offsets',
      panels: [
        {
          title: 'Committed offset',
          description:
            'The offset the stream last committed per partition (where its consumer group resumes).',
          unit: 'none',
          prom: [
            {
              expr: `max by (app, topic, partition) (${q.sel('sidestream_kafka_committed_offset')})`,
              legend: '{{topic}}/{{partition}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_kafka_committed_offset'), L1, L1 + 1) }],
        },
        {
          title: 'High watermark',
          description: "Each partition's high watermark when the latest batch was planned.",
          unit: 'none',
          prom: [
            {
              expr: `max by (app, topic, partition) (${q.sel('sidestream_kafka_high_watermark')})`,
              legend: '{{topic}}/{{partition}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_kafka_high_watermark'), L1, L1 + 1) }],
        },
      ],
    },
    {
      title: 'Lag',
      panels: [
        {
          title: 'Consumer lag (records)',
          description:
            'Records of each partition left after the latest planned batch (the planned lag: high watermark - its until-offset).',
          unit: 'short',
          prom: [
            {
              expr: `max by (app, topic, partition) (${q.sel('sidestream_kafka_consumer_lag_records')})`,
              legend: '{{topic}}/{{partition}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_kafka_consumer_lag_records'), L1, L1 + 1) }],
        },
        {
          title: 'Consumer lag (seconds)',
          description:
            'Age of the oldest unplanned record of each partition by its Kafka timestamp; 0 when caught up; absent while that record has not been fetched.',
          unit: 's',
          prom: [
            {
              expr: `max by (app, topic, partition) (${q.sel('sidestream_kafka_consumer_lag_seconds')})`,
              legend: '{{topic}}/{{partition}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_kafka_consumer_lag_seconds'), L1, L1 + 1) }],
        },
        {
          title: 'Committed lag (records)',
          description:
            'Records of each partition after its committed offset (high watermark - committed offset): the lag kafka-lag-exporter, Burrow and kafka-consumer-groups show. Above the planned lag by what is planned and not committed; a planned lag of 0 with a committed lag that does not shrink is a stream that reads and never commits.',
          unit: 'short',
          prom: [
            {
              expr: `max by (app, topic, partition) (${q.sel('sidestream_kafka_committed_lag_records')})`,
              legend: '{{topic}}/{{partition}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_kafka_committed_lag_records'), L1, L1 + 1) }],
        },
        {
          title: 'Committed lag (seconds)',
          description:
            'Age of the record at the committed offset of each partition, the oldest not committed; 0 when nothing waits (alert SidestreamConsumerLagGrowing reads it).',
          unit: 's',
          prom: [
            {
              expr: `max by (app, topic, partition) (${q.sel('sidestream_kafka_committed_lag_seconds')})`,
              legend: '{{topic}}/{{partition}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_kafka_committed_lag_seconds'), L1, L1 + 1) }],
        },
      ],
    },
    {
      title: 'Status',
      panels: [
        {
          title: 'Partition status',
          description:
            'Burrow-style status of each partition (ok, warn, stall, stop, rewind): the series whose value is 1 is the current one (alert SidestreamPartitionStalled on stall/stop).',
          unit: 'short',
          kind: 'table',
          prom: [
            {
              expr: `max by (app, topic, partition, status) (${q.sel('sidestream_kafka_partition_status')}) == 1`,
              legend: '{{topic}}/{{partition}} {{status}}',
            },
          ],
          graphite: [
            {
              target: `removeBelowValue(${alias(g('sidestream_kafka_partition_status'), L1, L1 + 1, L1 + 2)}, 1)`,
            },
          ],
        },
        {
          title: 'Rebalances and assigned partitions',
          description:
            'Partition assignments received per minute, and how many partitions this agent holds now.',
          unit: 'short',
          prom: [
            {
              expr: `sum by (app) (increase(${q.sel('sidestream_kafka_rebalances_total')}[1m]))`,
              legend: '{{app}} rebalances/min',
            },
            {
              expr: `max by (app) (${q.sel('sidestream_kafka_assigned_partitions')})`,
              legend: '{{app}} assigned',
            },
          ],
          graphite: [
            {
              target: aliasSub(
                `summarize(nonNegativeDerivative(sumSeries(${g('sidestream_kafka_rebalances_total')})), '1min', 'sum', false)`,
                'rebalances/min',
              ),
            },
            { target: alias(g('sidestream_kafka_assigned_partitions')) },
          ],
        },
      ],
    },
  ],
});

const ingestion = (q: PromScope): DashboardSpec => ({
  uid: 'sidestream-ingestion',
  title: 'sidestream / Ingestion and durability',
  description: 'Receivers, the write-ahead log, checkpoints, rate limits and rejected records.',
  rows: [
    {
      title: 'Inputs',
      panels: [
        {
          title: 'Input connection',
          description:
            'Whether each input with an upstream is connected to it (1) or not (0), read from the input at every scrape (alert SidestreamInputDisconnected: 0 for 1m). Queues and generators have no upstream and no line.',
          unit: 'short',
          prom: [
            {
              expr: `min by (app, stream) (${q.sel('sidestream_input_connected')})`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_input_connected'), L1) }],
        },
        {
          title: 'Time since the last answer',
          description:
            'How long each input has not heard from its upstream (a broker answer, bytes on a socket, a file read). Silence is not disconnection: a connected socket whose sender has nothing to say rises here and stays connected.',
          unit: 's',
          prom: [
            {
              expr: `time() - max by (app, stream) (${q.sel('sidestream_input_last_response_timestamp_seconds')})`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_input_last_response_timestamp_seconds'), L1) }],
          graphiteUnit: 'dateTimeFromNow',
        },
      ],
    },
    {
      title: 'Receivers',
      panels: [
        {
          title: 'Active receivers',
          description: 'Receivers running now.',
          unit: 'short',
          width: 8,
          prom: [{ expr: `max by (app) (${q.sel('sidestream_receivers_active')})`, legend: '{{app}}' }],
          graphite: [{ target: alias(g('sidestream_receivers_active')) }],
        },
        {
          title: 'Records received/s',
          description: 'Records receivers stored per second, by stream.',
          unit: 'suffix: rec/s',
          width: 8,
          prom: [
            {
              expr: `sum by (app, stream) (rate(${q.sel('sidestream_records_received_total')}[${RATE}]))`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [{ target: perSecond(g('sidestream_records_received_total'), L1) }],
        },
        {
          title: 'Receiver errors',
          description: 'Errors receivers reported per minute, by stream (alert SidestreamReceiverErrors).',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app, stream) (increase(${q.sel('sidestream_receiver_errors_total')}[1m]))`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_receiver_errors_total')}), '1min', 'sum', false), 1, ${L1})`,
            },
          ],
        },
        {
          title: 'Input errors',
          description:
            'Failures any input reported per minute, by stream: cannot reach its upstream, a failed commit, an unreadable block (alert SidestreamInputErrors).',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app, stream) (increase(${q.sel('sidestream_input_errors_total')}[1m]))`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_input_errors_total')}), '1min', 'sum', false), 1, ${L1})`,
            },
          ],
        },
      ],
    },
    {
      title: 'Write-ahead log',
      panels: [
        {
          title: 'WAL writes/s and bytes/s',
          description: 'Write-ahead-log records and bytes written per second.',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app) (rate(${q.sel('sidestream_wal_writes_total')}[${RATE}]))`,
              legend: '{{app}} writes/s',
            },
            {
              expr: `sum by (app) (rate(${q.sel('sidestream_wal_bytes_total')}[${RATE}]))`,
              legend: '{{app}} bytes/s',
            },
          ],
          graphite: [
            { target: perSecond(g('sidestream_wal_writes_total'), 2) },
            { target: perSecond(g('sidestream_wal_bytes_total'), 2) },
          ],
        },
        {
          title: 'WAL write latency',
          description: 'Time a write-ahead-log write took until durable: p99 and average.',
          unit: 's',
          width: 8,
          prom: [
            {
              expr: `histogram_quantile(0.99, sum by (app, le) (rate(${q.buckets('sidestream_wal_write_duration_seconds')}[${RATE}])))`,
              legend: '{{app}} p99',
            },
          ],
          graphite: [
            { target: alias(g('sidestream_wal_write_duration_seconds', {}, 'p99'), 3) },
            { target: alias(g('sidestream_wal_write_duration_seconds', {}, 'avg'), 3) },
          ],
        },
        {
          title: 'WAL errors',
          description: 'Failed write-ahead-log writes per minute (alert SidestreamWalErrors).',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app) (increase(${q.sel('sidestream_wal_errors_total')}[1m]))`,
              legend: '{{app}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_wal_errors_total')}), '1min', 'sum', false), 1)`,
            },
          ],
        },
      ],
    },
    {
      title: 'Checkpoints and limits',
      panels: [
        {
          title: 'Checkpoints',
          description: 'Checkpoints written per minute by outcome.',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app, outcome) (increase(${q.sel('sidestream_checkpoints_total')}[1m]))`,
              legend: '{{app}} {{outcome}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_checkpoints_total')}), '1min', 'sum', false), 1, ${L1})`,
            },
          ],
        },
        {
          title: 'Time since last checkpoint',
          description: 'Seconds since the last completed checkpoint (alert SidestreamCheckpointStale).',
          unit: 's',
          width: 8,
          prom: [
            {
              expr: `time() - max by (app) (${q.sel('sidestream_last_checkpoint_timestamp_seconds')})`,
              legend: '{{app}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_last_checkpoint_timestamp_seconds')) }],
          graphiteUnit: 'dateTimeFromNow',
        },
        {
          title: 'Rate limit',
          description: 'The current records-per-second cap of each rate-limited stream (backpressure).',
          unit: 'suffix: rec/s',
          width: 8,
          prom: [
            {
              expr: `max by (app, stream) (${q.sel('sidestream_rate_limit_records_per_second')})`,
              legend: '{{app}} {{stream}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_rate_limit_records_per_second'), L1) }],
        },
        {
          title: 'Rejected records',
          description:
            'Input records the stream rejected per minute (a decoder threw, or a text line was over its bound: LineTooLong), by stream and error type (skipped, and dead-lettered when configured).',
          unit: 'short',
          width: 24,
          prom: [
            {
              expr: `sum by (app, stream, error_type) (increase(${q.sel('sidestream_record_errors_total')}[1m]))`,
              legend: '{{app}} {{stream}} {{error_type}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_record_errors_total')}), '1min', 'sum', false), 1, ${L1}, ${L1 + 1})`,
            },
          ],
        },
      ],
    },
  ],
});

const agent = (q: PromScope): DashboardSpec => ({
  uid: 'sidestream-agent',
  title: 'sidestream / Agent',
  description: 'The agent process: version, restarts, exporter errors, CPU, memory and event-loop lag.',
  rows: [
    {
      title: 'Agent',
      panels: [
        {
          title: 'Version',
          description: 'sidestream version each app runs (sidestream_build_info).',
          unit: 'short',
          kind: 'table',
          width: 8,
          prom: [
            {
              expr: `max by (app, version) (${q.sel('sidestream_build_info')})`,
              legend: '{{app}} {{version}}',
            },
          ],
          graphite: [{ target: alias(g('sidestream_build_info'), L1) }],
        },
        {
          title: 'Restarts',
          description: 'Agent restarts (after a crash) per 15 minutes (alert SidestreamRestartLoop).',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app) (increase(${q.sel('sidestream_restarts_total')}[15m]))`,
              legend: '{{app}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_restarts_total')}), '15min', 'sum', false), 1)`,
            },
          ],
        },
        {
          title: 'Exporter errors',
          description:
            'Push-exporter failures per minute by exporter: failed connects, socket and send errors, dropped points (alert SidestreamExporterFailing).',
          unit: 'short',
          width: 8,
          prom: [
            {
              expr: `sum by (app, exporter) (increase(${q.sel('sidestream_exporter_errors_total')}[1m]))`,
              legend: '{{app}} {{exporter}}',
            },
          ],
          graphite: [
            {
              target: `aliasByNode(summarize(nonNegativeDerivative(${g('sidestream_exporter_errors_total')}), '1min', 'sum', false), 1, ${L1})`,
            },
          ],
        },
      ],
    },
    {
      title: 'Process',
      panels: [
        {
          title: 'CPU',
          description: 'CPU time the agent process used per second (1 = one core).',
          unit: 'percentunit',
          width: 8,
          prom: [
            {
              expr: `sum by (app) (rate(${q.sel('process_cpu_seconds_total')}[${RATE}]))`,
              legend: '{{app}}',
            },
          ],
          graphite: [],
          graphiteNote:
            'Process metrics (CPU, memory, event loop) are served on /metrics only; the Graphite exporter does not send them. Use the Prometheus variant of this dashboard.',
          graphiteKind: 'text',
        },
        {
          title: 'Memory',
          description: 'Resident set size and V8 heap in use.',
          unit: 'bytes',
          width: 8,
          prom: [
            { expr: `max by (app) (${q.sel('process_resident_memory_bytes')})`, legend: '{{app}} rss' },
            { expr: `max by (app) (${q.sel('nodejs_heap_size_used_bytes')})`, legend: '{{app}} heap used' },
          ],
          graphite: [],
        },
        {
          title: 'Event-loop lag',
          description:
            'Event-loop delay of the agent (p99 and mean over the last sampling window): a busy loop delays batch timers.',
          unit: 's',
          width: 8,
          prom: [
            { expr: `max by (app) (${q.sel('nodejs_eventloop_lag_p99_seconds')})`, legend: '{{app}} p99' },
            { expr: `max by (app) (${q.sel('nodejs_eventloop_lag_mean_seconds')})`, legend: '{{app}} mean' },
          ],
          graphite: [],
        },
      ],
    },
  ],
});

/** The four dashboards, their PromQL scoped by `scope` (the Graphite targets do not depend on it). */
export function dashboardSpecs(scope: PromScope = promScope()): readonly DashboardSpec[] {
  return [overview(scope), kafka(scope), ingestion(scope), agent(scope)];
}
