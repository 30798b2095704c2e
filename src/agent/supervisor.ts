/**
 * The agent's supervisor (`sidestream run --supervise`): a job that should be running but is not
 * is started again, next to the job, without an outside portal (docs/deployment.md). The engine runs in a child
 * process (the same command line, marked SIDESTREAM_SUPERVISED=1 so it does not supervise
 * itself); when it dies for any reason but a clean exit or our own stop signal, it is started
 * again after an exponential backoff, and recovers from its checkpoint like any restart. A
 * restart budget (at most N restarts within a window) turns a crash loop into a clear failure
 * instead of an agent that restarts forever.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { formatDurationMs } from '../time.js';
import { onStopSignal } from './stop-signals.js';

/** Set in the child's environment: the restarts so far (its sidestream_restarts_total). */
export const RESTARTS_ENV = 'SIDESTREAM_RESTARTS';
/** Set in the child's environment so that it runs the engine instead of supervising. */
export const SUPERVISED_ENV = 'SIDESTREAM_SUPERVISED';

export interface SupervisorOptions {
  /** Node arguments of the child: the CLI script and its arguments. */
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly restartBudget: number;
  readonly restartWindowMs: number;
  /** First restart delay, doubled per restart still inside the window; default 1 s. */
  readonly backoffBaseMs?: number;
  /** Longest restart delay; default 30 s. */
  readonly backoffMaxMs?: number;
  readonly log: (message: string) => void;
  /** The budget is spent: why the supervisor gives up (reported as SS_RESTART_BUDGET_EXHAUSTED). */
  readonly giveUp: (message: string) => void;
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

function describeExit(exit: Exit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** Runs the child until it stops cleanly, we are told to stop, or the budget is spent. */
export async function supervise(options: SupervisorOptions): Promise<number> {
  const base = options.backoffBaseMs ?? 1000;
  const max = options.backoffMaxMs ?? 30_000;
  let restartTimes: number[] = [];
  let restarts = 0;
  let child: ChildProcess | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let wakeBackoff: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // The child drains on the first signal and exits at once on a second: pass each one on.
    stopSignal = signal;
    child?.kill(signal);
    wakeBackoff?.();
  };
  const release = onStopSignal(onSignal);
  try {
    for (;;) {
      // A signal before the first spawn (while this process started up): nothing to run.
      if (stopSignal) return 0;
      const started = spawn(process.execPath, [...options.args], {
        stdio: 'inherit',
        env: { ...options.env, [SUPERVISED_ENV]: '1', [RESTARTS_ENV]: String(restarts) },
      });
      child = started;
      const exit = await new Promise<Exit>((resolve) =>
        started.once('exit', (code, signal) => resolve({ code, signal })),
      );
      child = undefined;
      if (stopSignal) return exit.code ?? 1;
      if (exit.code === 0) return 0;
      const now = Date.now();
      restartTimes = restartTimes.filter((t) => now - t < options.restartWindowMs);
      if (restartTimes.length >= options.restartBudget) {
        options.giveUp(
          `the agent crashed again (${describeExit(exit)}) after ` +
            `${restartTimes.length} restarts within ${formatDurationMs(options.restartWindowMs)}; giving up. ` +
            'Fix the cause (its error is above), then start it again; raise --restart-budget only for flaky upstreams',
        );
        return 1;
      }
      restartTimes.push(now);
      restarts++;
      const delay = Math.min(max, base * 2 ** (restartTimes.length - 1));
      options.log(
        `agent process ${describeExit(exit)}; restart ${restarts} in ${formatDurationMs(delay)} ` +
          `(${options.restartBudget - restartTimes.length} more allowed within ${formatDurationMs(options.restartWindowMs)})`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wakeBackoff = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeBackoff = undefined;
      if (stopSignal) return 0;
    }
  } finally {
    release();
  }
}
