/**
 * CPU time and memory of another process, read from /proc (Linux only): utime + stime of
 * /proc/<pid>/stat (every thread of the process, worker threads and JVM threads alike) sampled
 * every 100 ms with the wall clock, so the CPU spent between two instants the engine reports
 * itself is interpolated from the samples around them; VmHWM of /proc/<pid>/status is the peak
 * resident set over the process's life.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface Sample {
  /** Epoch ms. */
  readonly t: number;
  /** utime + stime, ms. */
  readonly cpuMs: number;
}

let clockTicks: number | undefined;
/** Clock ticks per second of /proc's times (USER_HZ); 100 nearly everywhere. */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of `pid` in ms, or undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond();
}

/** A `Vm...:` line of /proc/<pid>/status in bytes, or undefined. */
export function processStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export class ProcSampler {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private peakRss = 0;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  sample(): void {
    const cpuMs = processCpuMs(this.pid);
    if (cpuMs !== undefined) this.samples.push({ t: Date.now(), cpuMs });
    this.peakRss = Math.max(this.peakRss, processStatusBytes(this.pid, 'VmHWM') ?? 0);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Peak resident set (VmHWM) as last read, bytes. */
  get peakRssBytes(): number {
    return this.peakRss;
  }

  /** The process's CPU time at epoch ms `t`, interpolated between the samples around it. */
  cpuMsAt(t: number): number {
    return interpolate(this.samples, t);
  }
}

/** Linear interpolation of cpuMs at `t`; clamped to the first and last samples. */
export function interpolate(samples: readonly Sample[], t: number): number {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last) return Number.NaN;
  if (t <= first.t) return first.cpuMs;
  if (t >= last.t) return last.cpuMs;
  let hi = samples.findIndex((s) => s.t >= t);
  if (hi <= 0) hi = 1;
  const a = samples[hi - 1] as Sample;
  const b = samples[hi] as Sample;
  return b.t === a.t ? b.cpuMs : a.cpuMs + ((b.cpuMs - a.cpuMs) * (t - a.t)) / (b.t - a.t);
}
