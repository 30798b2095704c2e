/**
 * One engine of the peer benchmark as a child process: started with the PEER_* environment
 * (bench/peers/peer-report.ts), its stdout read line by line, the tail of its stderr kept for
 * errors, its /proc figures sampled (bench/peers/proc-sampler.ts), and ended with SIGTERM, then
 * SIGKILL if it lingers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcSampler } from './proc-sampler.js';

export interface PeerProcess {
  readonly child: ChildProcess;
  /** undefined when the process could not start. */
  readonly sampler: ProcSampler | undefined;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  /** The last 4,000 characters it wrote on stderr. */
  stderr(): string;
  /** Every stdout line, as it comes. */
  onLine(listener: (line: string) => void): void;
  /** Stops the sampling and ends the process. */
  end(): Promise<void>;
}

export function startPeerProcess(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): PeerProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const lines = child.stdout ? createInterface({ input: child.stdout }) : undefined;
  const sampler = child.pid === undefined ? undefined : new ProcSampler(child.pid);
  return {
    child,
    sampler,
    exited,
    stderr: () => stderr,
    onLine: (listener) => lines?.on('line', listener),
    async end() {
      sampler?.stop();
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
