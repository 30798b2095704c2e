/**
 * How the status page writes values: counts and rates (k, M, G), durations (ms, s, min, h), clock
 * times and ages. Pure functions of their arguments and the browser's time zone (no DOM), so
 * test/agent/status-page/format.test.ts checks them in Node.
 */
import type { Unit } from './chart-spec.js';

/** A count or rate in at most about four significant characters: 950, 12.5k, 3.2M, 1.0G. */
export function formatNumber(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  return n.toFixed(a >= 10 ? 1 : 2);
}

/** A duration in milliseconds, in the largest unit that keeps it readable; '–' when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  const a = Math.abs(ms);
  if (a < 1) return `${ms.toFixed(2)} ms`;
  if (a < 1000) return `${Math.round(ms)} ms`;
  // Seconds up to ten minutes: axis ticks (50 s, 100 s, 150 s) stay round numbers.
  if (a < 600_000) return `${Number((ms / 1000).toFixed(a < 10_000 ? 2 : a < 60_000 ? 1 : 0))} s`;
  if (a < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A chart value (axis tick or tooltip) in its chart's unit. */
export function formatUnit(value: number, unit: Unit): string {
  switch (unit) {
    case 'ms':
      return formatMs(value);
    case 'seconds':
      return formatMs(value * 1000);
    case 'rate':
      return `${formatNumber(value)}/s`;
    case 'count':
      return formatNumber(value);
  }
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Epoch ms as the browser's local HH:MM:SS, or HH:MM:SS.mmm for sub-second batches. */
export function formatClock(t: number, withMs = false): string {
  const d = new Date(t);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${hms}.${String(d.getMilliseconds()).padStart(3, '0')}` : hms;
}

/** An age or uptime to the second, in its two largest units: 42s, 3m 7s, 2h 5m, 1d 4h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/**
 * The inputs table's errors cell: null when the input reported none; else how many, how long ago
 * the last came (against the agent's clock `now`) and its message, shown without hovering.
 */
export function formatInputErrors(
  errors: number,
  lastError: string | null,
  lastErrorTime: number | null,
  now: number,
): string | null {
  if (errors === 0 || lastError === null) return null;
  const age = lastErrorTime === null ? '' : `, last ${formatAge(now - lastErrorTime)} ago`;
  return `${errors} ${errors === 1 ? 'error' : 'errors'}${age}: ${lastError}`;
}
