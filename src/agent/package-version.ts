/**
 * The installed sidestream version, read from package.json next to src/ or dist/ at run time
 * (importing it would pull package.json into the compiled output's root).
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const url = new URL('../../package.json', import.meta.url);
      cached = String((JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown }).version ?? 'unknown');
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
