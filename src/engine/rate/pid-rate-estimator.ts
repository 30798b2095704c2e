/**
 * Spark's PIDRateEstimator, to the letter: after each completed batch it proposes the ingestion
 * rate (records/s) that would let a batch finish within the batch interval. The error is the
 * previous rate minus the measured processing rate; the integral term comes from the scheduling
 * delay (records that overflowed earlier batches); the derivative term from the error's change.
 * Defaults are Spark's: proportional 1.0, integral 0.2, derivative 0, minRate 100.
 */
import { SidestreamError } from '../../errors.js';

export interface PidRateEstimatorOptions {
  batchIntervalMs: number;
  proportional?: number;
  integral?: number;
  derivative?: number;
  minRate?: number;
}

export class PidRateEstimator {
  private readonly batchIntervalMs: number;
  private readonly proportional: number;
  private readonly integral: number;
  private readonly derivative: number;
  private readonly minRate: number;
  private firstRun = true;
  private latestTime = -1;
  private latestRate = -1;
  private latestError = -1;

  constructor(options: PidRateEstimatorOptions) {
    this.batchIntervalMs = options.batchIntervalMs;
    this.proportional = options.proportional ?? 1.0;
    this.integral = options.integral ?? 0.2;
    this.derivative = options.derivative ?? 0.0;
    this.minRate = options.minRate ?? 100;
    const bad = (field: string, value: number, rule: string) =>
      new SidestreamError('SS_CONFIG_INVALID', `backpressure.${field} ${rule} (got ${value})`);
    if (!(this.batchIntervalMs > 0)) throw bad('batchIntervalMs', this.batchIntervalMs, 'must be > 0');
    if (!(this.proportional >= 0)) throw bad('proportional', this.proportional, 'must be >= 0');
    if (!(this.integral >= 0)) throw bad('integral', this.integral, 'must be >= 0');
    if (!(this.derivative >= 0)) throw bad('derivative', this.derivative, 'must be >= 0');
    if (!(this.minRate > 0)) throw bad('minRate', this.minRate, 'must be > 0');
  }

  /**
   * Feeds one completed batch: `timeMs` is when it completed. Returns the new rate, or undefined
   * when there is nothing to say (first batch, empty batch, zero processing time, stale time).
   */
  compute(
    timeMs: number,
    numRecords: number,
    processingDelayMs: number,
    schedulingDelayMs: number,
  ): number | undefined {
    if (!(timeMs > this.latestTime && numRecords > 0 && processingDelayMs > 0)) return undefined;
    const delaySinceUpdate = (timeMs - this.latestTime) / 1000;
    const processingRate = (numRecords / processingDelayMs) * 1000;
    const error = this.latestRate - processingRate;
    const historicalError = (schedulingDelayMs * processingRate) / this.batchIntervalMs;
    const dError = (error - this.latestError) / delaySinceUpdate;
    const newRate = Math.max(
      this.latestRate -
        this.proportional * error -
        this.integral * historicalError -
        this.derivative * dError,
      this.minRate,
    );
    this.latestTime = timeMs;
    if (this.firstRun) {
      this.latestRate = processingRate;
      this.latestError = 0;
      this.firstRun = false;
      return undefined;
    }
    this.latestRate = newRate;
    this.latestError = error;
    return newRate;
  }
}
