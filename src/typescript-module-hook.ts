/**
 * A module customization hook (Node's `module.register`) that loads a job's `.ts` files as ES
 * modules whatever the package around them says. tsx follows Node's rule: a `.ts` file takes its
 * format from the nearest package.json, and `npm init -y` writes `"type": "commonjs"`; compiled as
 * CommonJS, a job's `import ... from 'sidestream'` becomes a require() of an ES module while that
 * module is itself loading, which Node refuses ("in a cycle"). Jobs are ES modules by contract
 * (job-module.ts), so their `.ts` files are too; `.cts` stays CommonJS, and files under
 * node_modules keep their package's format.
 *
 * The hook runs in Node's loader thread, so it is source text handed over as a data: URL: no file
 * to find beside the built or the source tree. Registered after tsx, it sees tsx's answer and
 * only changes the format it reports.
 */
const HOOK_SOURCE = `
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
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
`;

export const TYPESCRIPT_MODULE_HOOK = `data:text/javascript,${encodeURIComponent(HOOK_SOURCE)}`;
