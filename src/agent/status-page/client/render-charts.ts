/// <reference lib="dom" />
/**
 * Renders the four charts from the batch records: input rate, batch delays (with the interval as
 * reference and failed batches marked), event-time lag and Kafka consumer lag. Their series come
 * from chart-series.ts.
 */
import type { CompletedBatchRecord } from '../../../events/index.js';
import type { AgentStatusSnapshot } from '../../agent-status.js';
import { delaySeries, failureTimes, kafkaLagSeries, lagSeries, rateSeries } from './chart-series.js';
import { byId, setText } from './dom.js';
import { drawChart } from './draw-chart.js';
import { formatMs } from './format.js';
import { kafkaChartEmptyText } from './status-words.js';

const WAITING = 'Waiting for the first batch…';

/** `oldestFirst`: the batch records in time order; `status`: for what an empty chart says. */
export function renderCharts(
  oldestFirst: readonly CompletedBatchRecord[],
  intervalMs: number,
  status: AgentStatusSnapshot | null,
): void {
  drawChart(byId('chart-rate'), {
    unit: 'rate',
    empty: WAITING,
    series: rateSeries(oldestFirst, intervalMs),
  });
  drawChart(byId('chart-delays'), {
    unit: 'ms',
    empty: WAITING,
    reference: { value: intervalMs, label: `batch interval (${formatMs(intervalMs)})` },
    failures: failureTimes(oldestFirst),
    series: delaySeries(oldestFirst),
  });
  drawChart(byId('chart-lag'), {
    unit: 'ms',
    empty: 'No input reports event time',
    reference: { value: intervalMs, label: 'batch interval' },
    series: lagSeries(oldestFirst),
  });
  const kafka = kafkaLagSeries(oldestFirst);
  setText(
    'kafka-note',
    kafka.partitions > kafka.series.length
      ? `the ${kafka.series.length} most lagging of ${kafka.partitions} partitions`
      : '',
  );
  drawChart(byId('chart-kafka'), {
    unit: 'count',
    empty: kafkaChartEmptyText(status),
    series: kafka.series,
  });
}
