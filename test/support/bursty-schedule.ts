/**
 * The traffic plan of the false-alert soak (scripts/false-alert-soak.ts): bursts at a few thousand
 * records/s separated by idle gaps of minutes, drawn from a seeded generator so that a run that
 * raised an alert can be replayed with the same plan (the seed is printed at the start).
 */
import { prng } from '../../src/sources/generator-source.js';

/** One phase of the plan: `rate` records/s from `startMs` for `durationMs` (rate 0: idle). */
export interface TrafficPhase {
  readonly startMs: number;
  readonly durationMs: number;
  readonly rate: number;
}

export interface BurstyScheduleOptions {
  readonly seed: number;
  /** The whole plan's length; the last phase is cut to end there. */
  readonly durationMs: number;
  /** Idle time before the first burst, so the agent and Prometheus settle; default 15 s. */
  readonly leadInMs?: number;
  /** Burst length bounds; default 20 to 60 s. */
  readonly burstMs?: readonly [number, number];
  /** Idle gap bounds; default 1 to 5 minutes. */
  readonly gapMs?: readonly [number, number];
  /** Records/s bounds of a burst; default 2,000 to 5,000. */
  readonly rate?: readonly [number, number];
}

/** Alternating idle and burst phases covering [0, durationMs), starting with the lead-in idle. */
export function burstySchedule(options: BurstyScheduleOptions): TrafficPhase[] {
  // Seeded (Math.random cannot be): a plan is reproducible from the printed seed.
  const random = prng(options.seed);
  const between = ([min, max]: readonly [number, number]) => Math.round(min + random() * (max - min));
  const burstMs = options.burstMs ?? [20_000, 60_000];
  const gapMs = options.gapMs ?? [60_000, 300_000];
  const rate = options.rate ?? [2000, 5000];
  const phases: TrafficPhase[] = [];
  let at = 0;
  const push = (durationMs: number, phaseRate: number) => {
    const cut = Math.min(durationMs, options.durationMs - at);
    if (cut <= 0) return;
    phases.push({ startMs: at, durationMs: cut, rate: phaseRate });
    at += cut;
  };
  push(options.leadInMs ?? 15_000, 0);
  while (at < options.durationMs) {
    push(between(burstMs), between(rate));
    push(between(gapMs), 0);
  }
  return phases;
}
