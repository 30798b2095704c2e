import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { bundleStatusPageClient, clientBundleModule } from './scripts/status-page-bundle.js';

/**
 * src/agent/status-page/client-bundle.js does not exist in src/: the build generates it in dist/
 * (scripts/build-status-page.ts). Tests that import the server from src/ get the same module,
 * bundled from the current client sources when first imported, so they never serve a stale
 * script; in watch mode an edit to a client source rebuilds it.
 */
function statusPageBundle(): Plugin {
  const generated = fileURLToPath(new URL('./src/agent/status-page/client-bundle.js', import.meta.url));
  const id = '\0sidestream:status-page-client-bundle';
  return {
    name: 'sidestream-status-page-bundle',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer && resolve(importer, '..', source) === generated) return id;
      return null;
    },
    async load(loaded) {
      if (loaded !== id) return null;
      const bundle = await bundleStatusPageClient();
      for (const input of bundle.inputs) this.addWatchFile(input);
      return clientBundleModule(bundle.script);
    },
  };
}

export default defineConfig({
  plugins: [statusPageBundle()],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
