/**
 * PrometheusListener: applies every event's metric effect from the event table
 * (event-table.ts) to the catalogue's prom-client metrics (event-metrics.ts). It has no mapping of
 * its own: a hook delivers its arguments to the row of its event type, and rows that change no
 * metric are skipped. Nothing is per record, and it owns no timing: every number comes from an
 * event (the partition status's clock is the batch records' times).
 */
import type { ListenerHook, StreamingListener } from '../events/index.js';
import { EventMetrics, type EventMetricsOptions, type MetricsSource } from './event-metrics.js';
import { hasEffect, rowOf, TABLE_HOOKS } from './event-table.js';
import type { AnyRegistry } from './instruments.js';

export type { MetricsSource } from './event-metrics.js';

/** Tuning of the listener's derived metrics; the defaults suit most apps. */
export type PrometheusListenerOptions = EventMetricsOptions;

export interface PrometheusListener extends Required<StreamingListener> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class PrometheusListener {
  readonly metrics: EventMetrics;

  constructor(
    registry: AnyRegistry,
    source: MetricsSource,
    version: string,
    options: PrometheusListenerOptions = {},
  ) {
    const metrics = new EventMetrics(registry, source, version, options);
    this.metrics = metrics;
    const self = this as unknown as Record<ListenerHook, (...args: unknown[]) => void>;
    for (const hook of TABLE_HOOKS) {
      self[hook] = (...args: unknown[]) => {
        const effect = rowOf(hook, args).metric;
        if (hasEffect(effect)) effect.apply(metrics, ...args);
      };
    }
  }
}
