/** Reading what carbon-cache wrote: whisper-fetch on one series' file. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GRAPHITE_WHISPER_DIR } from './services.js';

const run = promisify(execFile);

/**
 * Points of one dotted series from `fromSeconds` on, by epoch second (nulls left out), from the
 * whisper tree under `whisperDir` (default: the shared carbon's).
 */
export async function whisperPoints(
  path: string,
  fromSeconds: number,
  whisperDir = GRAPHITE_WHISPER_DIR,
): Promise<Map<number, number>> {
  const file = `${join(whisperDir, ...path.split('.'))}.wsp`;
  const { stdout } = await run('whisper-fetch', ['--json', `--from=${fromSeconds}`, file]);
  const data = JSON.parse(stdout) as { start: number; step: number; values: (number | null)[] };
  const points = new Map<number, number>();
  data.values.forEach((v, i) => {
    if (v !== null) points.set(data.start + i * data.step, v);
  });
  return points;
}

/** Retries `fn` until it stops throwing (carbon writes a new whisper file within a second or so). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
