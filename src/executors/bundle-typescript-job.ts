/**
 * bundleTypeScriptJob: a TypeScript job compiled once, on the driver, into one ES module that
 * executor workers import instead of the source. Without it every worker registers tsx, and on
 * Node 20 each registration runs its own module-hooks thread: 10-20 MB of RSS per worker (the
 * memory benchmark in docs/benchmarks.md).
 *
 * What goes into the bundle: the job's own source files. What stays outside, imported by
 * absolute file URL exactly as the worker would have resolved it: Node's built-in modules,
 * packages (node_modules) and the engine itself (its `dist` and `src`: the job's classes must be
 * the worker engine's, or every instanceof check between them fails). Each bundled file keeps
 * its own `import.meta.url`, `import.meta.filename` and `import.meta.dirname`, and the bundle
 * carries an inline source map, so stack traces name the original files.
 *
 * When the job cannot be bundled (esbuild reports an error, an import outside the bundle is
 * TypeScript itself, such as the engine's `src` by relative path, a file of the job's own is
 * CommonJS, or the copy cannot be written) the result says why and the workers load the source
 * through tsx, as before. Not covered: `import.meta.resolve` and a dynamic `import()` of a
 * computed relative path answer from the bundle's directory, not the file's.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeError } from '../errors.js';

export type BundledJob =
  | {
      readonly bundled: true;
      /** The bundle: an `.mjs` file in a private temporary directory. */
      readonly path: string;
      /** Deletes the bundle's directory. */
      remove(): Promise<void>;
    }
  | { readonly bundled: false; readonly reason: string };

const TYPESCRIPT = /\.[cm]?tsx?$/;

/** The engine's own files: two copies of them in one worker would be two engines. */
const ENGINE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENGINE_DIRS = [join(ENGINE_ROOT, 'dist') + sep, join(ENGINE_ROOT, 'src') + sep];

function outsideBundle(path: string): boolean {
  return path.split(sep).includes('node_modules') || ENGINE_DIRS.some((d) => path.startsWith(d));
}

/** Marks the plugin's own resolve calls, so it does not answer them again. */
const INNER = Symbol('inner resolve');

export async function bundleTypeScriptJob(jobPath: string): Promise<BundledJob> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    return { bundled: false, reason: `esbuild could not be loaded: ${describeError(error)}` };
  }
  const externalTypeScript: string[] = [];
  const plugin: import('esbuild').Plugin = {
    name: 'sidestream-job',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData === INNER) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: INNER,
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (resolved.external || !outsideBundle(resolved.path)) return resolved;
        if (TYPESCRIPT.test(resolved.path)) externalTypeScript.push(resolved.path);
        return { path: pathToFileURL(resolved.path).href, external: true };
      });
      // Per file, so that a file in another directory than the job's still finds its neighbours.
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        const url = pathToFileURL(args.path).href;
        const { code } = await esbuild.transform(source, {
          loader: loaderOf(args.path),
          format: 'esm',
          sourcefile: args.path,
          sourcemap: 'inline',
          define: {
            'import.meta.url': JSON.stringify(url),
            'import.meta.filename': JSON.stringify(args.path),
            'import.meta.dirname': JSON.stringify(dirname(args.path)),
          },
        });
        return { contents: code, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
  let code: string;
  try {
    const result = await esbuild.build({
      entryPoints: [jobPath],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: `node${process.versions.node.split('.')[0]}`,
      // Node's resolution: no `module` condition, no `module` main field.
      conditions: [],
      mainFields: ['main'],
      sourcemap: 'inline',
      logLevel: 'silent',
      outfile: join(dirname(jobPath), 'job.bundle.mjs'),
      plugins: [plugin],
    });
    code = result.outputFiles[0]?.text ?? '';
  } catch (error) {
    // esbuild lists its errors on lines of their own; the reason goes into one log line.
    const said = describeError(error).replace(/\s*\n\s*/g, ' ');
    return { bundled: false, reason: `esbuild could not bundle it: ${said}` };
  }
  if (externalTypeScript.length > 0) {
    return {
      bundled: false,
      reason: `it imports TypeScript outside the job's own files (${externalTypeScript[0]})`,
    };
  }
  // A CommonJS file among the job's own calls require(), which an ES module bundle only has as
  // esbuild's stub that throws when called: the workers would fail where tsx works.
  if (code.includes('Dynamic require of')) {
    return {
      bundled: false,
      reason: 'one of its files is CommonJS (require() has no ES module bundle form)',
    };
  }
  // mkdtemp's directory is 0700: no other user reads the job's code.
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'sidestream-job-'));
    const path = join(dir, 'job.mjs');
    await writeFile(path, code);
    const made = dir;
    return { bundled: true, path, remove: () => rm(made, { recursive: true, force: true }) };
  } catch (error) {
    // A read-only file system without a writable /tmp, a full disk: tsx still works.
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => {});
    return {
      bundled: false,
      reason: `the compiled copy could not be written under ${tmpdir()}: ${describeError(error)}`,
    };
  }
}

function loaderOf(path: string): 'ts' | 'tsx' | 'js' | 'jsx' {
  const ext = extname(path);
  if (ext.endsWith('tsx')) return 'tsx';
  if (ext.endsWith('ts')) return 'ts';
  if (ext.endsWith('jsx')) return 'jsx';
  return 'js';
}
