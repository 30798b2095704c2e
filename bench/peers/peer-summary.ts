/**
 * The peer benchmark's figures per engine from its interleaved rounds: medians of the verified
 * runs, the peaks, and each engine's throughput against the baselines (Spark, the plain Java
 * loop, plain kafkajs) as the median of per-round ratios, so a round slowed by the machine's
 * other work weighs on both sides of its ratio alike.
 */
import { median } from '../stats.js';

/** One engine's run in one round: its figures, or why it has none. */
export type PeerRunOutcome =
  | {
      readonly ok: true;
      readonly rate: number;
      readonly cpuUsPerRecord: number;
      readonly peakRssBytes: number;
      readonly peakHeapBytes: number;
    }
  | { readonly ok: false; readonly error: string };

export interface PeerEngineSummary {
  readonly engine: string;
  /** Rounds whose run was verified, of all rounds. */
  readonly okRuns: number;
  readonly runs: number;
  readonly medianRate: number;
  readonly medianCpuUsPerRecord: number;
  readonly peakRssBytes: number;
  readonly peakHeapBytes: number;
  /** Per baseline engine: the per-round ratios (rounds where both ran) and their median. */
  readonly ratios: Readonly<
    Record<string, { readonly perRound: readonly number[]; readonly median: number }>
  >;
}

/**
 * `rounds[r][engine]` is the engine's run in round r. Medians over the runs that were verified;
 * NaN where there is none.
 */
export function summarizePeers(
  engines: readonly string[],
  rounds: readonly Readonly<Record<string, PeerRunOutcome>>[],
  baselines: readonly string[],
): PeerEngineSummary[] {
  const okRun = (round: Readonly<Record<string, PeerRunOutcome>>, engine: string) => {
    const run = round[engine];
    return run?.ok ? run : undefined;
  };
  return engines.map((engine) => {
    const ok = rounds.flatMap((round) => okRun(round, engine) ?? []);
    const ratios: Record<string, { perRound: number[]; median: number }> = {};
    for (const baseline of baselines) {
      const perRound = rounds.flatMap((round) => {
        const mine = okRun(round, engine);
        const theirs = okRun(round, baseline);
        return mine && theirs ? [mine.rate / theirs.rate] : [];
      });
      ratios[baseline] = { perRound, median: median(perRound) };
    }
    return {
      engine,
      okRuns: ok.length,
      runs: rounds.filter((round) => round[engine] !== undefined).length,
      medianRate: median(ok.map((r) => r.rate)),
      medianCpuUsPerRecord: median(ok.map((r) => r.cpuUsPerRecord)),
      peakRssBytes: ok.length ? Math.max(...ok.map((r) => r.peakRssBytes)) : Number.NaN,
      peakHeapBytes: ok.length ? Math.max(...ok.map((r) => r.peakHeapBytes)) : Number.NaN,
      ratios,
    };
  });
}

/** Round r runs the engines in this order: the list rotated by r, so no engine always goes first. */
export function roundOrder<T>(engines: readonly T[], round: number): T[] {
  const k = engines.length === 0 ? 0 : round % engines.length;
  return [...engines.slice(k), ...engines.slice(0, k)];
}
