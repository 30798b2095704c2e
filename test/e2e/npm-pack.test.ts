/**
 * The package as a user gets it: `npm pack`, install the tarball into a fresh `npm init -y`
 * project (a CommonJS package, `"type": "commonjs"`, as npm writes it today), and use it there as
 * the README says: `sidestream demo`, a `.ts` job and a CommonJS `.js` job through
 * `npx sidestream run`, a strict `tsc` over the `.ts` job with nothing but sidestream and
 * @types/node installed, and the dashboards and alert rules in the installed package. Catches a
 * missing file in package.json's `files`, a dependency that is only a devDependency, a public
 * type that needs an optional package's types, and a bin that does not start outside this repo.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/agent-process.js';
import { waitForAsync } from '../support/crash-loop.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');

/** A job in TypeScript that imports values and types from the package, as README's does. */
const TS_JOB = `import { type StreamingContext, StreamingContext as Ctx } from 'sidestream';

export default function job(ssc: StreamingContext): void {
  if (!(ssc instanceof Ctx)) throw new Error('a second copy of sidestream was loaded');
  ssc
    .generatorStream({ ratePerSec: 200, keys: 3 })
    .map((event): [string, number] => [event.key, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(async (rdd) => {
      const total = (await rdd.collect()).reduce((sum, [, n]) => sum + n, 0);
      console.log(\`ts-job counted \${total}\`);
    });
}
`;

/** The same job as CommonJS JavaScript, the default for .js files in an npm init -y project. */
const CJS_JOB = `const { StreamingContext } = require('sidestream');

/** @param {import('sidestream').StreamingContext} ssc */
module.exports = function job(ssc) {
  if (!(ssc instanceof StreamingContext)) throw new Error('a second copy of sidestream was loaded');
  ssc
    .generatorStream({ ratePerSec: 200, keys: 3 })
    .map((event) => [event.key, 1])
    .reduceByKey((a, b) => a + b)
    .foreachRDD(async (rdd) => {
      const total = (await rdd.collect()).reduce((sum, [, n]) => sum + n, 0);
      console.log(\`js-job counted \${total}\`);
    });
};
`;

describe('npm pack', () => {
  let dir = '';
  let project = '';
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-pack-'));
    // pretest has built dist/; prepack would build it again under the feet of other test files.
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: REPO });
    const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!;
    project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    await run('npm', ['init', '-y'], { cwd: project });
    // npm 11 writes "type": "commonjs"; older npms write no type, which means the same. Written
    // here so every npm tests the package type that used to break .ts jobs.
    const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    await writeFile(join(project, 'package.json'), JSON.stringify({ ...manifest, type: 'commonjs' }));
    const typesNode = JSON.parse(
      await readFile(join(REPO, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
    ).version;
    await run('npm', ['install', '--no-audit', '--no-fund', join(dir, tarball), `@types/node@${typesNode}`], {
      cwd: project,
      timeout: 200_000,
    });
    await writeFile(join(project, 'job.ts'), TS_JOB);
    await writeFile(join(project, 'job.js'), CJS_JOB);
  }, 300_000);

  /** npx runs the agent as its child: the whole group goes, or the agent outlives the test. */
  function stopAll(): void {
    for (const child of children.splice(0)) {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {}
      }
    }
  }
  // Each test's agents go when it ends: three agents left running would slow the tsc check.
  afterEach(stopAll);
  afterAll(async () => {
    stopAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Starts `npx sidestream <args>` in the project, in a process group of its own. */
  function npxSidestream(args: string[]): { child: ChildProcess; output: () => string } {
    const child = spawn('npx', ['--no-install', 'sidestream', ...args], {
      cwd: project,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    return { child, output: () => out };
  }

  async function scrape(port: number): Promise<string> {
    return fetch(`http://127.0.0.1:${port}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
  }

  it('installs into a fresh npm init -y project whose sidestream demo serves metrics', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    npxSidestream(['demo', '--http', `127.0.0.1:${port}`]);
    let metrics = '';
    await waitForAsync(
      async () => {
        metrics = await scrape(port);
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

  for (const [file, line] of [
    ['job.ts', /ts-job counted [1-9]/],
    ['job.js', /js-job counted [1-9]/],
  ] as const) {
    it(`runs a ${file.slice(4)} job with npx sidestream run, serving its metrics`, {
      timeout: 60_000,
    }, async () => {
      const port = await freePort();
      const agent = npxSidestream(['run', file, '--http', `127.0.0.1:${port}`]);
      const app = file.replace(/\.[jt]s$/, '');
      let metrics = '';
      await waitForAsync(
        async () => {
          if (agent.child.exitCode !== null) throw new Error(`the agent exited:\n${agent.output()}`);
          metrics = await scrape(port);
          return (
            line.test(agent.output()) &&
            new RegExp(`sidestream_batches_total\\{app="${app}",outcome="succeeded"\\} [1-9]`).test(metrics)
          );
        },
        40_000,
        `${file} to count records and its agent to serve the batch`,
      );
      expect(agent.output()).not.toContain('error [SS_');
      // Node 26 deprecates module.register: loading a .ts job must not warn on any version.
      expect(agent.output()).not.toContain('DeprecationWarning');
    });
  }

  it('type-checks a job strictly with only sidestream and @types/node installed', {
    timeout: 120_000,
  }, async () => {
    const installed = (await readdir(join(project, 'node_modules', '@types'))).sort();
    expect(installed).toEqual(['node']);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          target: 'es2022',
          noEmit: true,
          // The package's own declarations are checked too: a type from a package the user did
          // not install (pg's, say) fails here.
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['job.ts'],
      }),
    );
    const result = await run(process.execPath, [TSC, '-p', '.'], { cwd: project }).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe('ok');
  });

  it('ships the dashboards, the alert rules, the examples and the licence', async () => {
    const pkg = join(project, 'node_modules', 'sidestream');
    for (const flavour of ['prometheus', 'graphite']) {
      const files = await readdir(join(pkg, 'dashboards', flavour));
      expect(files.filter((f) => f.endsWith('.json')).length, flavour).toBeGreaterThanOrEqual(4);
    }
    expect(existsSync(join(pkg, 'alerts', 'sidestream.rules.yml'))).toBe(true);
    expect(existsSync(join(pkg, 'examples', 'clicks.mjs'))).toBe(true);
    expect(await readFile(join(pkg, 'LICENSE'), 'utf8')).toContain('Apache License');
    // Every path docs/dashboards.md names under dashboards/ or alerts/ is in the package.
    const doc = await readFile(join(pkg, 'docs', 'dashboards.md'), 'utf8');
    const named = [...doc.matchAll(/`((?:dashboards|alerts)\/[\w./-]+\.(?:json|ya?ml))`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const path of named) expect(existsSync(join(pkg, path)), path).toBe(true);
  });

  it('says how to fix an ES-module .js job in a CommonJS package', { timeout: 30_000 }, async () => {
    await writeFile(
      join(project, 'esm-job.js'),
      'export default function job(ssc) { ssc.generatorStream({}).print(); }\n',
    );
    const agent = npxSidestream(['validate', 'esm-job.js']);
    // 'close', not 'exit': the output may still be arriving when the process has exited.
    const exit = await new Promise<number | null>((resolve) => agent.child.on('close', resolve));
    expect(exit).not.toBe(0);
    expect(agent.output()).toContain('SS_JOB_LOAD_FAILED');
    expect(agent.output()).toContain('rename it to .mjs, add {"type": "module"}');
  });
});
