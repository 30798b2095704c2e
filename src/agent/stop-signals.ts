/**
 * stopSignals: the one owner of SIGTERM/SIGINT in an agent process. The CLI starts catching them
 * in its first import (catch-early-signals.ts) so that a signal arriving while the job module loads or a checkpoint is read (before runAgent
 * or the supervisor is listening) is remembered instead of killing the process with Node's
 * default action: an orchestrator that stops a pod during start-up still gets a clean exit 0.
 * A second signal before anyone listens exits at once, as it would later.
 */

/** Conventional exit codes for death by signal: 128 + the signal number. */
export const FORCED_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

export type StopHandler = (signal: NodeJS.Signals) => void;

let pending: NodeJS.Signals | undefined;
let handler: StopHandler | undefined;
let installed = false;

function dispatch(signal: NodeJS.Signals): void {
  if (handler) {
    handler(signal);
    return;
  }
  if (pending) process.exit(FORCED_EXIT[signal] ?? 1);
  pending = signal;
}

/** Starts catching SIGTERM/SIGINT; idempotent. */
export function captureStopSignals(): void {
  if (installed) return;
  installed = true;
  process.on('SIGTERM', dispatch);
  process.on('SIGINT', dispatch);
}

/**
 * Hands the signals to `next` (replacing any earlier handler). A signal that came before is
 * delivered to it at once. Returns a function that gives them back (pending again, nobody
 * listening).
 */
export function onStopSignal(next: StopHandler): () => void {
  captureStopSignals();
  handler = next;
  const early = pending;
  pending = undefined;
  if (early) next(early);
  return () => {
    if (handler === next) handler = undefined;
  };
}

/** The signal that arrived while nobody listened, if any (without consuming it). */
export function pendingStopSignal(): NodeJS.Signals | undefined {
  return pending;
}
