/**
 * The kill -9 loop shared by the crash tests: start the agent as a child process, let it live a
 * random while (or until it kills itself at an injected crash point), SIGKILL it, repeat.
 */
import { expect } from 'vitest';
import { freePort, startAgent } from './agent-process.js';

// Where the crash tests have always imported it from.
export { waitForAsync } from './wait-for-async.js';

export interface CrashLoopOptions {
  kills: number;
  /** Agent arguments for run `i`; `httpAddress` is a fresh 127.0.0.1 port. */
  args(i: number, httpAddress: string): string[];
  env(i: number): Record<string, string>;
  /** Called before each run starts (to record what the offset log says). */
  beforeRun?(i: number): Promise<void>;
  minLifetimeMs?: number;
  maxLifetimeMs?: number;
  /** Called with each run's output once it was killed. */
  onExit?(i: number, output: string): void;
}

/** Runs the loop; resolves to how many runs ended by killing themselves. */
export async function crashLoop(options: CrashLoopOptions): Promise<number> {
  let selfKills = 0;
  const min = options.minLifetimeMs ?? 1200;
  const max = options.maxLifetimeMs ?? 4000;
  for (let i = 0; i < options.kills; i++) {
    await options.beforeRun?.(i);
    const agent = startAgent(options.args(i, `127.0.0.1:${await freePort()}`), options.env(i));
    const lifetime = min + Math.floor(Math.random() * (max - min));
    const ended = await Promise.race([
      agent.exited.then(() => 'self'),
      new Promise((r) => setTimeout(() => r('timer'), lifetime)),
    ]);
    if (ended === 'self') selfKills++;
    else agent.child.kill('SIGKILL');
    const exit = await agent.exited;
    expect(exit.signal, agent.output()).toBe('SIGKILL');
    options.onExit?.(i, agent.output());
  }
  return selfKills;
}
