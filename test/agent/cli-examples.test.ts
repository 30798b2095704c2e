/**
 * The examples at the end of each command's --help (src/agent/cli-examples.ts) stay true: every
 * registered command has some, each line parses with the CLI's own commander options (an unknown
 * flag, a missing value or a missing job module fails) and its setting values are ones the
 * configuration accepts, the built CLI prints them last, after the pointer to
 * docs/configuration.md, and the `validate` examples pass when run, from a directory holding the
 * repository's examples/ and the sidestream.yaml that docs/configuration.md shows.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_YAML } from '../../scripts/generate-config-doc.js';
import { CLI_EXAMPLES, examplesHelp } from '../../src/agent/cli-examples.js';
import { buildProgram } from '../../src/agent/cli-main.js';
import { CONFIG_DOC } from '../../src/agent/config/cli-options.js';
import { resolveConfig } from '../../src/agent/config.js';
import { parseCliLine } from '../support/cli-line.js';
import { REPO_ROOT, runCli } from '../support/cli-process.js';

const PROGRAM = buildProgram(() => {});
const COMMANDS = PROGRAM.commands.map((c) => c.name());
/** The program's own help is `sidestream --help`. */
const ALL = ['sidestream', ...COMMANDS];
/** The commands whose options include the settings (and so the docs/configuration.md pointer). */
const WITH_SETTINGS = PROGRAM.commands
  .filter((c) => c.options.some((o) => o.long === '--config'))
  .map((c) => c.name());

const EXAMPLES = Object.entries(CLI_EXAMPLES).flatMap(([command, examples]) =>
  examples.map((e) => ({ command, ...e })),
);

describe('CLI examples', () => {
  it('covers every registered command, and only those', () => {
    expect(COMMANDS).toEqual(expect.arrayContaining(['run', 'demo', 'validate', 'status']));
    for (const name of ALL) expect(CLI_EXAMPLES[name]?.length ?? 0, `examples of ${name}`).toBeGreaterThan(0);
    expect(Object.keys(CLI_EXAMPLES).filter((name) => !ALL.includes(name))).toEqual([]);
  });

  it.each(EXAMPLES)('$line parses with the CLI options, as its own command', async ({ command, line }) => {
    const parsed = await parseCliLine(line);
    if (!parsed.ok) throw new Error(`${line}: ${parsed.error}`);
    if (command !== 'sidestream') expect(parsed.command).toBe(command);
    // Its setting values are valid too (a --batch-interval of 2x would fail here).
    const resolved = await resolveConfig({ env: {}, flags: parsed.flags });
    if (!resolved.ok) throw new Error(`${line}: ${resolved.problems.map((p) => p.message).join('; ')}`);
  });

  it('fails a line with a flag the command does not have, or a command that does not exist', async () => {
    expect(await parseCliLine('sidestream run job.ts --batch-intervall 2s')).toEqual({
      ok: false,
      error: "unknown option '--batch-intervall'\n(Did you mean --batch-interval?)",
    });
    expect(await parseCliLine('sidestream status --config sidestream.yaml')).toMatchObject({ ok: false });
    expect(await parseCliLine('sidestream validate-config')).toMatchObject({ ok: false });
    expect(await parseCliLine('sidestream run')).toMatchObject({ ok: false });
    expect(await parseCliLine('sidestream demo --http')).toMatchObject({ ok: false });
  });

  it.each(ALL)('%s --help ends with its examples, after the configuration pointer', async (name) => {
    const r = await runCli(name === 'sidestream' ? ['--help'] : [name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const section = examplesHelp(name);
    expect(section).toContain('Examples:');
    expect(r.stdout.trimEnd().endsWith(section.trimEnd())).toBe(true);
    if (WITH_SETTINGS.includes(name)) {
      const pointer = r.stdout.indexOf(CONFIG_DOC);
      expect(pointer).toBeGreaterThan(0);
      expect(pointer).toBeLessThan(r.stdout.indexOf('Examples:'));
    }
  });

  it('`sidestream help <command>` shows the same help and exits 0', async () => {
    const viaHelp = await runCli(['help', 'status']);
    const viaFlag = await runCli(['status', '--help']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });

  describe('the validate examples, run', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sidestream-cli-examples-'));
      await writeFile(join(dir, 'sidestream.yaml'), EXAMPLE_YAML);
      await symlink(join(REPO_ROOT, 'examples'), join(dir, 'examples'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    const validate = CLI_EXAMPLES.validate ?? [];
    it.each(validate)('$line prints ok', async ({ line }) => {
      const parsed = await parseCliLine(line);
      expect(parsed.ok).toBe(true);
      const r = await runCli(line.split(/\s+/).slice(1), { cwd: dir, timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('ok\n');
      expect(r.code).toBe(0);
    });
  });
});
