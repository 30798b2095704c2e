/**
 * The status page's browser script: src/agent/status-page/client/ (entry main.ts) bundled by
 * esbuild into one self-invoking script, as text for page.ts to inline. There is no source file
 * beside this declaration on purpose: the module is generated, never written by hand.
 * - `npm run build` writes it as dist/agent/status-page/client-bundle.js
 *   (scripts/build-status-page.ts), so dist/ and the npm package carry the script.
 * - Under vitest, which runs src/, vitest.config.ts serves it from a fresh bundle of the same
 *   sources (scripts/status-page-bundle.ts), so a test never runs a stale script.
 */
export declare const STATUS_PAGE_SCRIPT: string;
