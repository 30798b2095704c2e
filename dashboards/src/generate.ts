/**
 * Writes the shipped bundle: the dashboards (dashboards/prometheus/*.json,
 * dashboards/graphite/*.json), the Prometheus rules (alerts/sidestream.rules.yml) and the
 * Grafana-managed Graphite rules (alerts/grafana/sidestream-graphite.yml), built by
 * src/dashboards/ with the default options. `npm run dashboards` runs it; the files are committed,
 * and test/dashboards/generated.test.ts fails when they differ from what the code generates.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RenderedFile, renderBundle } from '../../src/dashboards/render-bundle.js';

export type { RenderedFile };

/** Every shipped file with its exact text. */
export function renderAll(): RenderedFile[] {
  return renderBundle();
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  for (const file of renderAll()) {
    const path = join(REPO_ROOT, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.text);
    console.log(`wrote ${file.path}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
