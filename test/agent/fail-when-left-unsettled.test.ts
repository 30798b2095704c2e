/**
 * A promise that never settles holds nothing open, so Node exits with code 0 when nothing else is
 * left; the CLI's guard (src/agent/fail-when-left-unsettled.ts) turns that into a failure. Real
 * Node processes of the built module: the event loop has to run dry for the case to exist.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(new URL('../../dist/agent/fail-when-left-unsettled.js', import.meta.url));

function node(command: string): { status: number | null; stdout: string } {
  const script = [
    `import { failWhenLeftUnsettled } from ${JSON.stringify(GUARD)};`,
    `failWhenLeftUnsettled(${command}, () => { console.log('unsettled'); process.exit(1); });`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { status: r.status, stdout: r.stdout };
}

describe('failWhenLeftUnsettled', () => {
  it('fails a command whose promise is still pending when the event loop runs dry', () => {
    expect(node('new Promise(() => {})')).toEqual({ status: 1, stdout: 'unsettled\n' });
  });

  it('leaves a command that settles alone, even when it settles late or rejects', () => {
    expect(node('new Promise((r) => setTimeout(r, 50))')).toEqual({ status: 0, stdout: '' });
    expect(node('Promise.reject(new Error("x")).catch(() => {})')).toEqual({ status: 0, stdout: '' });
  });
});
