/**
 * Headless Chromium for the status page tests: Debian's `chromium` (installed by
 * scripts/chromium.sh, which .ci/run calls) driven by playwright-core, never a browser downloaded
 * by `npx playwright install`. Flags as docs/services.md lists them; the fresh profile directory is
 * playwright's own (launch() makes a new temporary --user-data-dir each time and deletes it; it
 * refuses the flag itself).
 *
 *   const hasChromium = await requireChromium();
 *   describe.runIf(hasChromium)('status page', () => { ... });
 *
 * Under CI=true a missing browser fails the test file (requireService); elsewhere it is skipped
 * with the reason printed.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { requireService } from './services.js';

export const CHROMIUM_PATH = process.env.SIDESTREAM_CHROMIUM || '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export function requireChromium(): Promise<boolean> {
  return requireService('Chromium', CHROMIUM_PATH, async () => {
    try {
      await access(CHROMIUM_PATH, constants.X_OK);
    } catch {
      throw new Error(
        `no executable at ${CHROMIUM_PATH}; install Debian's chromium with scripts/chromium.sh`,
      );
    }
  });
}

/** A headless Chromium with a throwaway profile. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS, timeout: 30_000 });
}
