/**
 * The package as a user gets it: `npm pack`, install the tarball into an empty project, run its
 * `sidestream demo`, and see it serve metrics. Catches a missing file in package.json's `files`,
 * a dependency that is only a devDependency, or a bin that does not start outside this repo.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type AgentProcess, freePort } from '../support/agent-process.js';
import { waitForAsync } from '../support/crash-loop.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

describe('npm pack', () => {
  let dir: string | undefined;
  let demo: AgentProcess['child'] | undefined;
  afterAll(async () => {
    demo?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs into an empty project whose sidestream demo serves metrics', {
    timeout: 240_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-pack-'));
    await run('npm', ['pack', '--pack-destination', dir], { cwd: REPO });
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!;
    const project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'uses-sidestream', private: true }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', join(dir, tarball)], {
      cwd: project,
      timeout: 200_000,
    });
    const port = await freePort();
    demo = spawn(
      join(project, 'node_modules', '.bin', 'sidestream'),
      ['demo', '--http', `127.0.0.1:${port}`],
      {
        cwd: project,
        stdio: 'ignore',
      },
    );
    let metrics = '';
    await waitForAsync(
      async () => {
        metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .catch(() => '');
        return /sidestream_batches_total\{app="demo",outcome="succeeded"\} [1-9]/.test(metrics);
      },
      30_000,
      'the installed demo to complete a batch',
    );
    expect(metrics).toContain('sidestream_build_info{');
    // The status page is served from the installed package alone (everything inlined in dist/).
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    // The client script, bundled by the build (scripts/build-status-page.ts), is inlined.
    const script = /<script nonce="[^"]+">([\s\S]*?)<\/script>/.exec(await page.text())?.[1] ?? '';
    expect(script.startsWith('/* sidestream status page: src/agent/status-page/client/ */')).toBe(true);
    expect(script).toContain('/api/batches?limit=');
  });
});
