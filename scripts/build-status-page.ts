/**
 * The second half of `npm run build` (after tsc): bundles the status page's browser script
 * (scripts/status-page-bundle.ts) and writes it as dist/agent/status-page/client-bundle.js, the
 * module dist/agent/status-page/page.js imports, with its declaration beside it. tsc leaves
 * src/agent/status-page/client/ out of dist/ (tsconfig.build.json): it is browser code, and only
 * the bundle of it runs.
 *
 *   tsx scripts/build-status-page.ts
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleStatusPageClient, clientBundleModule } from './status-page-bundle.js';

const OUT_DIR = fileURLToPath(new URL('../dist/agent/status-page/', import.meta.url));
const DECLARATION = fileURLToPath(new URL('../src/agent/status-page/client-bundle.d.ts', import.meta.url));

const { script } = await bundleStatusPageClient();
await mkdir(OUT_DIR, { recursive: true });
await writeFile(`${OUT_DIR}client-bundle.js`, clientBundleModule(script));
await copyFile(DECLARATION, `${OUT_DIR}client-bundle.d.ts`);
