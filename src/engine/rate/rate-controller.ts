/**
 * RateController: backpressure for one input stream (Spark's RateController). It listens to
 * completed batches, feeds the stream's record count and the batch's delays to the PID
 * estimator, and holds the latest rate the source should plan with (initialRate until the
 * estimator has spoken).
 */
import type { CompletedBatchRecord, StreamingListener } from '../../events/index.js';
import { PidRateEstimator, type PidRateEstimatorOptions } from './pid-rate-estimator.js';

export interface BackpressureOptions extends Partial<Omit<PidRateEstimatorOptions, 'batchIntervalMs'>> {
  /** Records/s for the first batches, before the estimator has measured anything. */
  initialRate?: number;
}

export class RateController implements StreamingListener {
  private readonly estimator: PidRateEstimator;
  private latest: number | undefined;

  constructor(
    private readonly streamId: number,
    batchIntervalMs: number,
    private readonly options: BackpressureOptions,
    private readonly onRateChanged: (ratePerSec: number) => void = () => {},
  ) {
    this.estimator = new PidRateEstimator({ ...options, batchIntervalMs });
  }

  /** The rate to plan with, records/s; undefined means no limit from backpressure. */
  rate(): number | undefined {
    return this.latest ?? this.options.initialRate;
  }

  onBatchCompleted(batch: CompletedBatchRecord): void {
    const input = batch.inputs.find((i) => i.streamId === this.streamId);
    if (!input) return;
    const rate = this.estimator.compute(
      batch.processingEndTime,
      input.numRecords,
      batch.processingDelayMs,
      batch.schedulingDelayMs,
    );
    if (rate === undefined) return;
    this.latest = rate;
    this.onRateChanged(rate);
  }
}
