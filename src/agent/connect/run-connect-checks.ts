/**
 * Runs `validate --connect`'s checks, all at once, each bounded by the same timeout, and gives
 * back their lines in the order the checks were listed (not the order they finished), so the
 * output reads the same on every run. Within a check, lines keep the order they were reported
 * in, except slots: a line whose place is fixed when the slot is taken (each seed broker, in the
 * order the job lists them), filled when its answer comes. A check is over when its run and all
 * its slots are done, or when its time is up: then it keeps the lines it has, each empty slot
 * becomes a FAIL saying nothing answered, and a run that was waiting on something else gains a
 * FAIL line saying what; its probes are aborted.
 */
import { formatDurationMs } from '../../time.js';
import type { CheckLine, CheckStatus, ConnectCheck } from './connect-check.js';
import { describeConnectError } from './describe-connect-error.js';

export async function runConnectChecks(
  checks: readonly ConnectCheck[],
  timeoutMs: number,
): Promise<CheckLine[]> {
  const lines = await Promise.all(checks.map((check) => runOne(check, timeoutMs)));
  return lines.flat();
}

/** A line not known yet: its target is fixed, its status and detail come later. */
interface Slot {
  readonly target: string;
  line: CheckLine | undefined;
  readonly filled: Promise<void>;
}

async function runOne(check: ConnectCheck, timeoutMs: number): Promise<CheckLine[]> {
  const lines: (CheckLine | Slot)[] = [];
  const slots: Slot[] = [];
  const started = performance.now();
  const controller = new AbortController();
  let step = 'connecting';
  let over = false;
  const line = (status: CheckStatus, detail: string, target: string): CheckLine => ({
    status,
    target,
    detail,
    ms: Math.round(performance.now() - started),
  });
  const add = (status: CheckStatus, detail: string, target = check.target) => {
    // A probe that keeps going after its time was up must not add lines to a finished report.
    if (!over) lines.push(line(status, detail, target));
  };
  const slot = (target: string) => {
    let fill: () => void = () => {};
    const taken: Slot = { target, line: undefined, filled: new Promise<void>((resolve) => (fill = resolve)) };
    lines.push(taken);
    slots.push(taken);
    return (status: CheckStatus, detail: string) => {
      if (over || taken.line) return;
      taken.line = line(status, detail, target);
      fill();
    };
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  let runDone = false;
  // Through a promise so that a probe throwing before its first await fails like any other.
  const ran = Promise.resolve()
    .then(() =>
      check.run({
        report: add,
        slot,
        step: (what) => {
          step = what;
        },
        signal: controller.signal,
        timeoutMs,
      }),
    )
    .catch((error: unknown) => add('FAIL', describeConnectError(error, check.service)))
    .then(() => {
      runDone = true;
    })
    // Slots taken during the run are all known once it is over.
    .then(() => Promise.all(slots.map((s) => s.filled)))
    .then(() => 'done' as const);
  const outcome = await Promise.race([ran, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    const within = `no answer within ${formatDurationMs(timeoutMs)}`;
    const fix = `check the address and that ${check.service} is up, or raise --connect-timeout on a slow network`;
    const silent = slots.filter((s) => s.line === undefined);
    for (const s of silent) s.line = line('FAIL', `${within}; ${fix}`, s.target);
    // A run still waiting on those silent slots (no seed broker answered) says nothing more.
    if (!runDone && silent.length === 0) add('FAIL', `${within} (${step}); ${fix}`);
    controller.abort();
  }
  over = true;
  return lines.flatMap((l) => ('filled' in l ? (l.line ? [l.line] : []) : [l]));
}
