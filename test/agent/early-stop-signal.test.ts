/**
 * A SIGTERM that reaches the agent while it is still loading is a clean stop, not a death by
 * signal: the entry (cli.ts) installs the handlers before it even reads the command's modules.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, spawnCli } from '../support/cli-process.js';

afterEach(killAll);

const PROBE = new URL('./fixtures/announce-sigterm-handler.mjs', import.meta.url).href;

/** The specifiers of a built module's static imports (`import ... from 'x'` and `import 'x'`). */
async function staticImports(file: string): Promise<string[]> {
  const text = await readFile(new URL(`../../dist/agent/${file}`, import.meta.url), 'utf8');
  return [...text.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

describe('a stop signal during start-up', () => {
  it('the entry loads nothing but the signal catching before the command', async () => {
    expect(await staticImports('cli.js')).toEqual(['./catch-early-signals.js']);
    expect(await staticImports('catch-early-signals.js')).toEqual(['./stop-signals.js']);
    expect(await staticImports('stop-signals.js')).toEqual([]);
  });

  it('SIGTERM as soon as the process catches it: exit 0, not death by signal', {
    timeout: 60_000,
  }, async () => {
    const agent = spawnCli(['demo', '--http', '127.0.0.1:0'], {
      env: { NODE_OPTIONS: `--import=${PROBE}` },
    });
    // Signalled from the stderr handler itself: the probe's line is written the moment the entry
    // adds its listener, before it starts loading the command.
    let signalled = false;
    agent.child.stderr!.on('data', () => {
      if (!signalled && agent.stderr().includes('[probe] SIGTERM listener added')) {
        signalled = true;
        agent.child.kill('SIGTERM');
      }
    });
    const exit = await agent.exited;
    expect(signalled).toBe(true);
    expect({ ...exit, stderr: exit.code === 0 ? '' : agent.stderr() }).toEqual({
      code: 0,
      signal: null,
      stderr: '',
    });
  });
});
