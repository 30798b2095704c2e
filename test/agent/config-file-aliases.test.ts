/**
 * Hostile YAML aliases in the configuration file: an alias bomb, an alias without its anchor and
 * an alias inside its own anchor are each refused with one SS_CONFIG_INVALID problem that names
 * the file and the fix, never thrown; ordinary anchors and aliases keep working.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/agent/config.js';
import { runCli } from '../support/cli-process.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-config-aliases-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(text: string): Promise<string> {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(path, text);
  return path;
}

/** Nine lists of nine aliases to the list before: 9^6 values from six short lines. */
const ALIAS_BOMB = [
  'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ...['b', 'c', 'd', 'e', 'f'].map((name, i) => {
    const previous = String.fromCharCode('a'.charCodeAt(0) + i);
    return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`;
  }),
  'app: *f',
].join('\n');

describe('configuration file aliases', () => {
  it.each([
    ['an alias bomb', ALIAS_BOMB, 'its aliases expand to too many values', 'write the values out'],
    ['an alias without its anchor', 'app: *nowhere', 'Unresolved alias', 'fix the YAML there'],
    [
      'an alias inside its own anchor (a list)',
      'app: &x [*x]',
      'an alias is used inside its own anchor',
      'write the value out',
    ],
    [
      'an alias inside its own anchor (a mapping)',
      'graphite: &g\n  url: tcp://127.0.0.1:2003\n  prefix: *g',
      'an alias is used inside its own anchor',
      'write the value out',
    ],
  ])('refuses %s with SS_CONFIG_INVALID, the file name and the fix', async (_what, text, says, fix) => {
    const file = await fileWith(text);
    const started = Date.now();
    const r = await resolveConfig({ file, defaultApp: 'job' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    const [problem] = r.problems;
    expect(problem?.code).toBe('SS_CONFIG_INVALID');
    expect(problem?.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    expect(problem?.message).toContain(says);
    expect(problem?.message).toContain(fix);
  });

  it('still resolves ordinary anchors and aliases', async () => {
    const ok = await resolveConfig({
      file: await fileWith('batchInterval: &d 2s\nshutdownTimeout: *d\n'),
      defaultApp: 'job',
    });
    if (!ok.ok) throw new Error(ok.problems.map((p) => p.message).join('\n'));
    expect(ok.config.batchIntervalMs).toBe(2000);
    expect(ok.config.shutdownTimeoutMs).toBe(2000);
  });

  it('sidestream validate reports the alias bomb with its code and the file', async () => {
    const file = await fileWith(ALIAS_BOMB);
    const r = await runCli(['validate', '--config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error [SS_CONFIG_INVALID]: ${file}: its aliases expand to too many values`);
  });
});
