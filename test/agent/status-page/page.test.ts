/**
 * The status page document (src/agent/status-page/page.ts) carries the bundled client script
 * (scripts/status-page-bundle.ts) inline, in the one script element its Content-Security-Policy
 * allows by nonce. Run from src/, this also shows that tests serve the script bundled from the
 * current client sources (vitest.config.ts), not a stale build.
 */
import { describe, expect, it } from 'vitest';
import { bundleStatusPageClient } from '../../../scripts/status-page-bundle.js';
import { STATUS_PAGE_SCRIPT } from '../../../src/agent/status-page/client-bundle.js';
import { statusPageResponse } from '../../../src/agent/status-page/page.js';

describe('status page document', () => {
  it('inlines the client bundled from the current sources, once, under the nonce the CSP allows', async () => {
    const { script } = await bundleStatusPageClient();
    expect(STATUS_PAGE_SCRIPT).toBe(script);
    const page = statusPageResponse();
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers['Content-Security-Policy'] ?? '')?.[1];
    expect(nonce).toBeTruthy();
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toBe(` nonce="${nonce}"`);
    expect(scripts[0]?.[2]).toBe(script);
  });

  it('bundles every client module into one self-invoking script that imports nothing', async () => {
    const { script, inputs } = await bundleStatusPageClient();
    expect(script.startsWith('/* sidestream status page: src/agent/status-page/client/ */\n')).toBe(true);
    expect(script).toMatch(/\(\(\) => \{[\s\S]*\}\)\(\);\s*$/);
    expect(script).not.toMatch(/\bimport\s*[({'"]|\brequire\(/);
    expect(script).toContain('/api/batches?limit=');
    const names = inputs.map((p) => p.replace(/^.*\/src\//, 'src/'));
    expect(names).toContain('src/agent/status-page/client/main.ts');
    expect(names).toContain('src/agent/status-page/client/chart-geometry.ts');
    // Only type imports reach the agent's own modules, except the shared topic-partition key.
    expect(names.filter((n) => !n.startsWith('src/agent/status-page/client/'))).toEqual([
      'src/topic-partition.ts',
    ]);
  });
});
