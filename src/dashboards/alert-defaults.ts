/**
 * Every sidestream alert with its default `for` and, for the alerts that compare with one number,
 * its default threshold: the one table the Prometheus rules (prometheus-rules.ts), the
 * Grafana-managed Graphite rules (build-grafana-alerts.ts) and `sidestream alerts --threshold`
 * / `--for` read, so a default is written once.
 */

export interface AlertThreshold {
  readonly value: number;
  /** What the number counts, for --help and error messages. */
  readonly unit: string;
}

export interface AlertDefault {
  readonly for: string;
  readonly threshold?: AlertThreshold;
}

export const ALERT_DEFAULTS = {
  SidestreamTaskFailures: { for: '30s', threshold: { value: 4, unit: 'failed task attempts within 1m' } },
  SidestreamNoRecordsProcessed: { for: '1m' },
  SidestreamEventTimeLagHigh: { for: '2m' },
  SidestreamBatchesQueueing: { for: '5m', threshold: { value: 1, unit: 'batches waiting' } },
  SidestreamConsumerLagGrowing: { for: '5m', threshold: { value: 60, unit: 'seconds of consumer lag' } },
  SidestreamPartitionStalled: { for: '5m' },
  SidestreamBatchFailed: { for: '0s' },
  SidestreamAgentDown: { for: '1m' },
  SidestreamCheckpointStale: {
    for: '5m',
    threshold: { value: 300, unit: 'seconds since the last checkpoint' },
  },
  SidestreamReceiverErrors: { for: '1m' },
  SidestreamInputErrors: { for: '1m' },
  SidestreamWalErrors: { for: '0s' },
  SidestreamRestartLoop: { for: '0s', threshold: { value: 3, unit: 'restarts within 15m' } },
  SidestreamExporterFailing: { for: '10m' },
  SidestreamBatchOverdue: { for: '0s', threshold: { value: 2, unit: 'batch intervals overdue' } },
  SidestreamInputDisconnected: { for: '1m' },
} as const satisfies Record<string, AlertDefault>;

export type AlertName = keyof typeof ALERT_DEFAULTS;

export const ALERT_NAMES = Object.keys(ALERT_DEFAULTS) as AlertName[];

/** The alerts that take --threshold. */
export const TUNABLE_ALERTS = ALERT_NAMES.filter((a) => thresholdDefault(a) !== undefined);

/** The default threshold of `alert`, if it takes one. */
export function thresholdDefault(alert: AlertName): AlertThreshold | undefined {
  return (ALERT_DEFAULTS[alert] as AlertDefault).threshold;
}
