/**
 * The built agent with a TypeScript job and executor workers: the workers import the job compiled
 * into one module (no tsx in them), the job's files keep their own import.meta, and a job that
 * cannot be compiled that way still runs, through tsx, with a warning that says why.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentProcess, freePort, startAgent } from '../support/agent-process.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/compiled-for-workers/', import.meta.url));
const JOB = join(FIXTURES, 'job.ts');
const WHERE = join(FIXTURES, 'where.ts');
const IMPORTS_ENGINE_SOURCE = join(FIXTURES, 'imports-engine-source.ts');

const running: AgentProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) {
    agent.child.kill('SIGKILL');
    await agent.exited;
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Runs `job` with two workers until it has written 4 lines; returns them and the agent's log. */
async function runJob(job: string): Promise<{ lines: string[]; log: string; agent: AgentProcess }> {
  const dir = await mkdtemp(join(tmpdir(), 'sidestream-bundle-test-'));
  dirs.push(dir);
  const out = join(dir, 'out.txt');
  const agent = startAgent(
    ['run', job, '--executors', '2', '--batch-interval', '200ms', '--http', `127.0.0.1:${await freePort()}`],
    { OUT_FILE: out },
  );
  running.push(agent);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await readFile(out, 'utf8').catch(() => '');
    const lines = text.split('\n').filter(Boolean);
    if (lines.length >= 4) return { lines, log: agent.output(), agent };
    if (agent.child.exitCode !== null) throw new Error(`the agent exited:\n${agent.output()}`);
    if (Date.now() > deadline) throw new Error(`no output within 60 s:\n${agent.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a TypeScript job with executor workers (built agent)', () => {
  it('runs in the workers compiled into one module, each file keeping its own import.meta', async () => {
    const { lines, log, agent } = await runJob(JOB);
    expect(log).toContain(`executor workers import ${JOB} compiled into one module`);
    expect(log).not.toContain('through tsx');
    expect(lines.sort()).toEqual([1, 2, 3, 4].map((n) => `${n} ${WHERE} ${dirname(WHERE)} worker`));
    const bundle = /compiled into one module \((.+?)\)/.exec(log)?.[1];
    expect(bundle).toMatch(/job\.mjs$/);
    expect(existsSync(bundle as string)).toBe(true);
    // Stopped, the agent deletes the compiled copy.
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
    expect(existsSync(dirname(bundle as string))).toBe(false);
  });

  it('runs a job it cannot compile that way through tsx, and says why', async () => {
    const { lines, log } = await runJob(IMPORTS_ENGINE_SOURCE);
    expect(log).toMatch(
      /executor workers load .*imports-engine-source\.ts through tsx.*imports TypeScript outside the job's own files/,
    );
    expect(log).not.toContain('compiled into one module');
    expect(lines.sort()).toEqual(['1 1s worker', '2 2s worker', '3 3s worker', '4 4s worker']);
  });
});
