/**
 * registerTypeScriptModuleHook: a module resolution hook that loads a job's `.ts` files as ES
 * modules whatever the package around them says. tsx follows Node's rule: a `.ts` file takes its
 * format from the nearest package.json, and `npm init -y` writes `"type": "commonjs"`; compiled as
 * CommonJS, a job's `import ... from 'sidestream'` becomes a require() of an ES module while that
 * module is itself loading, which Node refuses ("in a cycle"). Jobs are ES modules by contract
 * (job-module.ts), so their `.ts` files are too; `.cts` stays CommonJS, and files under
 * node_modules keep their package's format.
 *
 * Registered after tsx, the hook sees tsx's answer and only changes the format it reports. Node
 * has two ways to register one: `module.registerHooks` (in-thread, synchronous; Node 22.15 and
 * later), and `module.register`, which Node 26 deprecates (a DeprecationWarning on every start)
 * but is all Node 20 has. The first is used where it exists; for the second the same rule is
 * handed over as source text in a data: URL, since those hooks run in Node's loader thread.
 */
import * as nodeModule from 'node:module';

interface Resolved {
  readonly url: string;
  readonly format?: string | null | undefined;
}

/** The resolution with `format: 'module'` when it is a job's `.ts` file left to CommonJS. */
function asModule<R extends Resolved>(resolved: R): R {
  const { url, format } = resolved;
  if (
    (format === undefined || format === null || format === 'commonjs' || format === 'commonjs-typescript') &&
    url.startsWith('file:') &&
    !url.includes('/node_modules/') &&
    new URL(url).pathname.endsWith('.ts')
  ) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}

type NextResolve = (specifier: string, context: unknown) => Resolved;
type RegisterHooks = (hooks: {
  resolve: (specifier: string, context: unknown, nextResolve: NextResolve) => Resolved;
}) => unknown;

/** The loader-thread form, for module.register: asModule's own source, so the rule is one. */
const LOADER_THREAD_HOOK = `data:text/javascript,${encodeURIComponent(
  `const asModule = ${asModule.toString()};
export async function resolve(specifier, context, nextResolve) {
  return asModule(await nextResolve(specifier, context));
}`,
)}`;

/** Registers the hook for this thread (executor workers call it for themselves). */
export function registerTypeScriptModuleHook(): void {
  const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof registerHooks === 'function') {
    registerHooks({
      resolve: (specifier, context, nextResolve) => asModule(nextResolve(specifier, context)),
    });
  } else {
    nodeModule.register(LOADER_THREAD_HOOK);
  }
}
