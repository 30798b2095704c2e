/**
 * bundleTypeScriptJob on jobs written to a temporary directory: what goes into the bundle, what
 * stays outside by URL, and each reason for loading the job through tsx instead.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type BundledJob, bundleTypeScriptJob } from '../../src/executors/bundle-typescript-job.js';

const ENGINE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
const bundles: BundledJob[] = [];
afterEach(async () => {
  for (const b of bundles.splice(0)) if (b.bundled) await b.remove();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Writes `files` into a new directory inside the repository (so 'sidestream' resolves) and bundles `job.ts`. */
async function bundle(files: Record<string, string>): Promise<{ dir: string; result: BundledJob }> {
  const dir = await mkdtemp(join(ENGINE_ROOT, 'test', 'engine', '.bundle-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const result = await bundleTypeScriptJob(join(dir, 'job.ts'));
  bundles.push(result);
  return { dir, result };
}

describe('bundleTypeScriptJob', () => {
  it("bundles the job's own files and imports packages and the engine by URL", async () => {
    const { result } = await bundle({
      'job.ts': [
        "import { Kafka } from 'kafkajs';",
        "import { SidestreamError, type StreamingContext } from 'sidestream';",
        "import { double } from './lib.js';",
        'export default function job(ssc: StreamingContext): void {',
        '  ssc.queueStream<number>([[1]]).map(double).print();',
        '  void Kafka; void SidestreamError;',
        '}',
      ].join('\n'),
      'lib.ts': 'export const double = (n: number): number => n * 2;\n',
    });
    expect(result.bundled).toBe(true);
    if (!result.bundled) return;
    expect(dirname(result.path).startsWith(tmpdir())).toBe(true);
    const code = await readFile(result.path, 'utf8');
    expect(code).toContain('n * 2');
    expect(code).toContain(`from "${pathToFileURL(join(ENGINE_ROOT, 'dist', 'index.js')).href}"`);
    expect(code).toContain(
      `from "${pathToFileURL(join(ENGINE_ROOT, 'node_modules', 'kafkajs', 'index.js')).href}"`,
    );
    expect(code).toContain('sourceMappingURL=data:application/json');
    const mod = (await import(pathToFileURL(result.path).href)) as { default: unknown };
    expect(typeof mod.default).toBe('function');
  });

  it('gives each file its own import.meta', async () => {
    const { dir, result } = await bundle({
      'job.ts': [
        "import { where } from './where.js';",
        'export const here = import.meta.url;',
        'export { where };',
        'export default function job(): void {}',
      ].join('\n'),
      'where.ts': 'export const where = [import.meta.url, import.meta.filename, import.meta.dirname];\n',
    });
    expect(result.bundled).toBe(true);
    if (!result.bundled) return;
    const mod = (await import(pathToFileURL(result.path).href)) as { here: string; where: string[] };
    expect(mod.here).toBe(pathToFileURL(join(dir, 'job.ts')).href);
    expect(mod.where).toEqual([pathToFileURL(join(dir, 'where.ts')).href, join(dir, 'where.ts'), dir]);
  });

  it('refuses a job that imports TypeScript outside its own files (the engine source)', async () => {
    const { result } = await bundle({
      'job.ts':
        "import { parseDurationMs } from '../../../src/time.js';\nexport default function job(): void { void parseDurationMs; }\n",
    });
    expect(result).toEqual({
      bundled: false,
      reason: `it imports TypeScript outside the job's own files (${join(ENGINE_ROOT, 'src', 'time.ts')})`,
    });
  });

  it('refuses a job with a CommonJS file of its own', async () => {
    const { result } = await bundle({
      'job.ts': "import helper from './helper.cjs';\nexport default function job(): void { void helper; }\n",
      'helper.cjs': "const os = require('node:os');\nmodule.exports = { cores: () => os.cpus().length };\n",
    });
    expect(result).toMatchObject({ bundled: false, reason: expect.stringContaining('CommonJS') });
  });

  it('refuses when the compiled copy cannot be written (no writable temporary directory)', async () => {
    const before = process.env.TMPDIR;
    process.env.TMPDIR = join(ENGINE_ROOT, 'test', 'engine', '.no-such-dir', 'tmp');
    try {
      const { result } = await bundle({ 'job.ts': 'export default function job(): void {}\n' });
      expect(result).toMatchObject({
        bundled: false,
        reason: expect.stringMatching(
          /^the compiled copy could not be written under .*\.no-such-dir.*ENOENT/,
        ),
      });
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  it("refuses a job esbuild cannot bundle, with esbuild's reason", async () => {
    const { result } = await bundle({
      'job.ts':
        "import { nothing } from './missing.js';\nexport default function job(): void { void nothing; }\n",
    });
    expect(result).toMatchObject({
      bundled: false,
      reason: expect.stringMatching(/esbuild could not bundle it: .*missing\.js/),
    });
  });
});
