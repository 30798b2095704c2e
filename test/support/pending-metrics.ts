/**
 * PENDING_METRICS: CONTRACT.md metrics that the dashboards and alert rules already use but that
 * the agent on this branch does NOT emit yet. They are emitted by work not yet merged (receivers,
 * write-ahead log, checkpoints, Kafka partition status and assignment, the event-time lag
 * histogram, restarts). test/integration/dashboards-real.test.ts skips the panels and rule
 * selectors that use them, and FAILS as soon as the agent serves one of them, so the set can only
 * shrink: delete a name here when its emitter lands.
 *
 * (It lives in a support module rather than in the test file because biome's noExportsInTest
 * forbids exports from test files.)
 */
export const PENDING_METRICS: ReadonlySet<string> = new Set([
  'sidestream_records_received_total',
  'sidestream_event_time_lag_seconds',
  'sidestream_kafka_partition_status',
  'sidestream_kafka_assigned_partitions',
  'sidestream_receivers_active',
  'sidestream_receiver_errors_total',
  'sidestream_wal_writes_total',
  'sidestream_wal_bytes_total',
  'sidestream_wal_write_duration_seconds',
  'sidestream_wal_errors_total',
  'sidestream_checkpoints_total',
  'sidestream_last_checkpoint_timestamp_seconds',
  'sidestream_rate_limit_records_per_second',
  'sidestream_restarts_total',
]);
