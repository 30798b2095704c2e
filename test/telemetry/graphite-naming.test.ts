import { describe, expect, it } from 'vitest';
import { graphiteName, sanitizeGraphiteSegment } from '../../src/telemetry/graphite-naming.js';
import { METRICS, metricSpec } from '../../src/telemetry/metrics.js';

describe('graphiteName', () => {
  const errors = metricSpec('sidestream_record_errors_total');
  const labels = { app: 'clicks', error_type: 'SyntaxError', stream: 'kafka:events' };

  it('maps a counter with labels to prefix.app.name.<labels in catalogue order>', () => {
    expect(graphiteName(errors, labels, { app: 'clicks' })).toBe(
      'sidestream.clicks.record_errors_total.kafka_events.SyntaxError',
    );
  });

  it('puts the optional instance after the app and honours a dotted prefix', () => {
    expect(graphiteName(errors, labels, { app: 'clicks', instance: 'host-1', prefix: 'prod.metrics' })).toBe(
      'prod.metrics.clicks.host-1.record_errors_total.kafka_events.SyntaxError',
    );
  });

  it('appends the histogram statistic, and no label segment for label-less metrics', () => {
    const delay = metricSpec('sidestream_batch_total_delay_seconds');
    expect(graphiteName(delay, { app: 'clicks' }, { app: 'clicks' }, 'p99')).toBe(
      'sidestream.clicks.batch_total_delay_seconds.p99',
    );
  });

  it('sanitises dots, spaces and slashes in label values to _', () => {
    const processed = metricSpec('sidestream_records_processed_total');
    expect(graphiteName(processed, { stream: 'file:/var/log/a b.txt' }, { app: 'x' })).toBe(
      'sidestream.x.records_processed_total.file__var_log_a_b_txt',
    );
    expect(sanitizeGraphiteSegment('')).toBe('_');
    expect(graphiteName(processed, {}, { app: 'x' })).toBe('sidestream.x.records_processed_total._');
  });

  it('writes tagged series as <name>;app=..;k=v in catalogue order', () => {
    expect(graphiteName(errors, labels, { app: 'clicks', naming: 'tagged' })).toBe(
      'sidestream_record_errors_total;app=clicks;stream=kafka:events;error_type=SyntaxError',
    );
    const delay = metricSpec('sidestream_batch_total_delay_seconds');
    expect(graphiteName(delay, {}, { app: 'clicks', naming: 'tagged', instance: 'h 1;x' }, 'count')).toBe(
      'sidestream_batch_total_delay_seconds.count;app=clicks;instance=h_1_x',
    );
  });

  it('gives every catalogue metric a distinct dotted name', () => {
    const names = METRICS.map((m) => graphiteName(m, {}, { app: 'a' }));
    expect(new Set(names).size).toBe(names.length);
  });
});
