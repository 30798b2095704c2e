/**
 * SIGTERM while the agent is still starting (the job module loading, a checkpoint being read):
 * an orchestrator stopping a pod at that moment gets a clean exit 0 without the context ever
 * starting, not a death by signal; a second signal still forces the exit. Real processes.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, startAgent } from '../support/agent-process.js';
import { waitForAsync } from '../support/crash-loop.js';
import { runArgs } from '../support/run-args.js';

const JOB = fileURLToPath(new URL('./fixtures/slow-load.ts', import.meta.url));

async function loading(extra: string[] = []) {
  const agent = startAgent(
    runArgs({
      job: JOB,
      app: 'slow-load',
      batchInterval: '200ms',
      flags: extra,
      http: `127.0.0.1:${await freePort()}`,
    }),
    { LOAD_MS: '3000' },
  );
  await waitForAsync(
    async () => agent.output().includes('job module loading'),
    30_000,
    'the job module to start loading',
  );
  return agent;
}

describe('a stop signal during start-up', () => {
  it('exits 0 once the job has loaded, without starting the context', { timeout: 60_000 }, async () => {
    const agent = await loading();
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    expect(exit, agent.output()).toEqual({ code: 0, signal: null });
    expect(agent.output()).toMatch(/SIGTERM: finishing in-flight batches/);
    expect(agent.output()).not.toMatch(/running: batch interval/);
  });

  it('exits at once with 143 on a second SIGTERM', { timeout: 60_000 }, async () => {
    const agent = await loading();
    agent.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    const sent = Date.now();
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    expect(exit.code, agent.output()).toBe(143);
    // Well before the 3 s the module takes to load.
    expect(Date.now() - sent).toBeLessThan(2000);
  });

  it('under --supervise: the child drains, the supervisor exits 0 and restarts nothing', {
    timeout: 60_000,
  }, async () => {
    const agent = await loading(['--supervise']);
    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    expect(exit, agent.output()).toEqual({ code: 0, signal: null });
    expect(agent.output()).not.toMatch(/restart 1/);
  });
});
