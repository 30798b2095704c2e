/**
 * Runs the built `sidestream dashboards` and `sidestream alerts` (dist/agent/cli.js) with the
 * given options into a temporary directory laid out like the repository (dashboards/<flavour>/,
 * alerts/), so the tests that read the shipped files (dashboard-queries.ts) read the CLI's output
 * the same way.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './agent-process.js';

/** The bundle's root directory; `args` go to both commands, `alertArgs` to `alerts` only. */
export function cliBundle(args: readonly string[], alertArgs: readonly string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'sidestream-bundle-'));
  for (const [command, dir] of [
    ['dashboards', 'dashboards'],
    ['alerts', 'alerts'],
  ] as const) {
    const own = command === 'alerts' ? alertArgs : [];
    execFileSync(process.execPath, [CLI, command, '--out', join(root, dir), ...args, ...own], {
      stdio: 'pipe',
    });
  }
  return root;
}

/** The options the parametrized dashboard tests run the CLI with. */
export const BUNDLE_TEST_ARGS = ['--datasource-uid', 'X', '--selector', 'cluster="a"'] as const;
