/** Runs the built agent (dist/agent/cli.js) as a child process, for crash and CLI tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/agent/cli.js', import.meta.url));

export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartAgentOptions {
  /**
   * A command the agent runs under, such as a network namespace's `ip netns exec <name>`
   * (network-namespace.ts). It must exec the agent, so that the child's pid is the agent's and a
   * signal reaches it.
   */
  readonly prefix?: readonly string[];
}

export function startAgent(
  args: string[],
  env: Record<string, string> = {},
  options: StartAgentOptions = {},
): AgentProcess {
  const [command, ...prefixArgs] = options.prefix ?? [];
  const argv = [process.execPath, CLI, ...args];
  const child = spawn(
    command ?? process.execPath,
    command === undefined ? argv.slice(1) : [...prefixArgs, ...argv],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Resolves once the agent has said it runs (its start line): from then on a SIGTERM reaches its
 * own handler. Before Node has loaded the agent's first module nothing can catch a signal, and
 * the process dies of it (exit code null): a test that stops an agent it has just started waits
 * for this first.
 */
export async function untilRunning(agent: AgentProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/running: batch interval/.test(agent.output())) {
    if (agent.child.exitCode !== null || agent.child.signalCode !== null)
      throw new Error(`the agent exited before it ran:\n${agent.output()}`);
    if (Date.now() > deadline)
      throw new Error(`the agent did not start within ${timeoutMs} ms:\n${agent.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
