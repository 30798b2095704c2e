/**
 * What README.md and docs/*.md show a reader stays true to the agent:
 *
 * - every `sidestream ...` (or `npx sidestream ...`) line of a shell block, and every usage line
 *   in the comments of examples/, parses with the CLI's own commander options (an unknown command
 *   or flag, a flag without its value, a missing job module fail) and gives setting values the
 *   configuration accepts;
 * - every inline `sidestream <command> --flag` names a command that exists and flags it has;
 * - every YAML block that is a sidestream configuration file validates through the agent's config
 *   resolver (src/agent/config.ts);
 * - the `sidestream validate` lines run against the built CLI and print ok, from a directory
 *   holding what the docs tell the reader to save: README's job as job.ts, docs/configuration.md's
 *   example as sidestream.yaml, and the repository's examples/.
 *
 * The checks run on made-up documents first, so a check that can no longer fail is noticed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/agent/cli-main.js';
import { resolveConfig } from '../../src/agent/config.js';
import { parseCliArgs } from '../support/cli-line.js';
import { REPO_ROOT, runCli } from '../support/cli-process.js';
import {
  blockInvocations,
  commentInvocations,
  fencedBlocks,
  type Invocation,
  inlineInvocations,
  isSidestreamConfig,
} from '../support/doc-commands.js';

const PROGRAM = buildProgram(() => {});
/** The registered commands, and commander's own `help <command>`. */
const COMMANDS = [...PROGRAM.commands.map((c) => c.name()), 'help'];

const DOCS = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const EXAMPLE_SOURCES = readdirSync(join(REPO_ROOT, 'examples'))
  .filter((f) => /\.(m?js|ts)$/.test(f))
  .map((f) => `examples/${f}`);

function read(file: string): string {
  return readFileSync(join(REPO_ROOT, file), 'utf8');
}

interface Located extends Invocation {
  readonly file: string;
}

function where(i: Located): string {
  return `${i.file}:${i.line}: ${i.text}`;
}

/** What is wrong with one command line: it does not parse, or a setting's value is refused. */
async function lineProblem(i: Located): Promise<string | null> {
  const parsed = await parseCliArgs(i.args);
  if (!parsed.ok) return `${where(i)}: ${parsed.error}`;
  const resolved = await resolveConfig({ env: {}, flags: parsed.flags });
  return resolved.ok ? null : `${where(i)}: ${resolved.problems.map((p) => p.message).join('; ')}`;
}

/** The long flags a command (or the program itself) accepts, --help included. */
function flagsOf(command: string): string[] {
  const found = command === 'sidestream' ? PROGRAM : PROGRAM.commands.find((c) => c.name() === command);
  if (!found) return [];
  const own = found.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
  return [...own, '--help', '-h'];
}

/** What is wrong with an inline synopsis: an unknown command, or a flag its command lacks. */
function inlineProblem(i: Located): string | null {
  const [first] = i.args;
  // `sidestream <command> --help`: a placeholder, not a command.
  const synopsis = first === undefined || /^[<[]/.test(first);
  const command = first === undefined || first.startsWith('-') || synopsis ? 'sidestream' : first;
  if (command !== 'sidestream' && !COMMANDS.includes(command)) return `${where(i)}: no command '${command}'`;
  const flags = i.args.filter((w) => w.startsWith('-')).map((w) => w.replace(/=.*$/, ''));
  const known = synopsis ? COMMANDS.flatMap(flagsOf).concat(flagsOf('sidestream')) : flagsOf(command);
  const unknown = flags.filter((f) => !known.includes(f));
  return unknown.length === 0 ? null : `${where(i)}: ${command} has no ${unknown.join(', ')}`;
}

/** What is wrong with a document's YAML configuration blocks, as the agent would say it. */
async function yamlProblems(file: string, markdown: string, dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const block of fencedBlocks(markdown).filter((b) => ['yaml', 'yml'].includes(b.lang))) {
    if (!isSidestreamConfig(block.body)) continue;
    const path = join(dir, `block-${block.line}.yaml`);
    await writeFile(path, block.body);
    const resolved = await resolveConfig({ file: path, env: {} });
    if (!resolved.ok)
      problems.push(`${file}:${block.line}: ${resolved.problems.map((p) => p.message).join('; ')}`);
  }
  return problems;
}

async function problemsOf(lines: readonly Located[], check: (i: Located) => Promise<string | null>) {
  return (await Promise.all(lines.map(check))).filter((p): p is string => p !== null);
}

const IN_BLOCKS: Located[] = [
  ...DOCS.flatMap((file) => blockInvocations(read(file), COMMANDS).map((i) => ({ ...i, file }))),
  ...EXAMPLE_SOURCES.flatMap((file) => commentInvocations(read(file), COMMANDS).map((i) => ({ ...i, file }))),
];
const INLINE: Located[] = DOCS.flatMap((file) => inlineInvocations(read(file)).map((i) => ({ ...i, file })));

/** The validate lines, with the files each names (its job module and --config file). */
const VALIDATE = await Promise.all(
  IN_BLOCKS.filter((i) => i.args[0] === 'validate').map(async (line) => {
    const parsed = await parseCliArgs(line.args);
    const files = parsed.ok
      ? [...parsed.args, ...(typeof parsed.options.config === 'string' ? [parsed.options.config] : [])]
      : [];
    return { line, files };
  }),
);

/** What a reader of the docs has: the two files they were told to save, and examples/. */
function provided(file: string): boolean {
  const name = normalize(file);
  return (
    ['job.ts', 'sidestream.yaml'].includes(name) ||
    (name.startsWith('examples/') && existsSync(join(REPO_ROOT, name)))
  );
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-doc-examples-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the checks themselves', () => {
  const made = 'made-up.md';
  const doc = [
    '```sh',
    'sidestream run job.ts --batch-intervall 2s',
    'npx sidestream demo --batch-interval 2x',
    'sidestream frobnicate',
    'SIDESTREAM_APP=x sidestream run job.ts | tee out.txt   # fine',
    'docker build -t sidestream .',
    '```',
    'Use `sidestream status --config x.yaml` or `sidestream lint`.',
    '```yaml',
    'app: clicks',
    'batchIntervall: 2s',
    '```',
  ].join('\n');

  it('find a flag the command lacks, a bad value and an unknown command in a shell block', async () => {
    const lines = blockInvocations(doc, COMMANDS).map((i) => ({ ...i, file: made }));
    expect(lines.map((l) => l.args)).toEqual([
      ['run', 'job.ts', '--batch-intervall', '2s'],
      ['demo', '--batch-interval', '2x'],
      ['frobnicate'],
      ['run', 'job.ts'],
    ]);
    const problems = await problemsOf(lines, lineProblem);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain(
      "made-up.md:2: sidestream run job.ts --batch-intervall 2s: unknown option '--batch-intervall'",
    );
    expect(problems[1]).toContain('--batch-interval');
    expect(problems[2]).toContain("unknown command 'frobnicate'");
  });

  it('find a flag or a command that does not exist in inline code', () => {
    const problems = inlineInvocations(doc).map((i) => inlineProblem({ ...i, file: made }));
    expect(problems).toEqual([
      'made-up.md:8: sidestream status --config x.yaml: status has no --config',
      "made-up.md:8: sidestream lint: no command 'lint'",
    ]);
  });

  it('find a misspelt key in a configuration block', async () => {
    const problems = await yamlProblems(made, doc, dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^made-up\.md:9: .*batchIntervall/);
  });
});

describe('README.md, docs/*.md and examples/', () => {
  it('have sidestream command lines to check', () => {
    const files = new Set(IN_BLOCKS.map((i) => i.file));
    for (const file of ['README.md', 'docs/deployment.md', 'examples/clicks.mjs'])
      expect(files).toContain(file);
    expect(INLINE.length).toBeGreaterThan(10);
  });

  it('show command lines that parse with the CLI options and values it accepts', async () => {
    expect(await problemsOf(IN_BLOCKS, lineProblem)).toEqual([]);
  });

  it('name only commands and flags that exist in inline code', () => {
    expect(INLINE.map(inlineProblem).filter((p) => p !== null)).toEqual([]);
  });

  it('show configuration files the agent accepts', async () => {
    const configs = DOCS.flatMap((file) =>
      fencedBlocks(read(file))
        .filter((b) => ['yaml', 'yml'].includes(b.lang) && isSidestreamConfig(b.body))
        .map(() => file),
    );
    // The reference example and the Graphite mapping at least.
    expect(configs).toEqual(expect.arrayContaining(['docs/configuration.md', 'docs/telemetry.md']));
    const problems = (await Promise.all(DOCS.map((file) => yamlProblems(file, read(file), dir)))).flat();
    expect(problems).toEqual([]);
  });

  describe('the sidestream validate lines, run', () => {
    let cwd: string;
    beforeAll(async () => {
      cwd = join(dir, 'reader');
      await mkdir(cwd);
      const readme = read('README.md');
      const saved = readme.indexOf('Save this as `job.ts`');
      const job = fencedBlocks(readme.slice(saved)).find((b) => b.lang === 'ts');
      if (saved < 0 || !job) throw new Error('README.md no longer says to save a job as job.ts');
      await writeFile(join(cwd, 'job.ts'), job.body);
      // README says to save it in the repository, an ES module package: so is this directory.
      await writeFile(join(cwd, 'package.json'), '{ "type": "module" }\n');
      const example = fencedBlocks(read('docs/configuration.md')).find((b) => b.lang === 'yaml');
      if (!example) throw new Error('docs/configuration.md has no example file');
      await writeFile(join(cwd, 'sidestream.yaml'), example.body);
      await symlink(join(REPO_ROOT, 'examples'), join(cwd, 'examples'));
    });

    it('include the README one', () => {
      expect(VALIDATE.map((v) => v.line.file)).toContain('README.md');
    });

    // A line naming other files (placeholders to fill in) cannot run here: it shows as skipped.
    for (const v of VALIDATE)
      it.skipIf(!v.files.every(provided))(`${where(v.line)} prints ok`, async () => {
        const r = await runCli([...v.line.args], { cwd, timeoutMs: 30_000 });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe('ok\n');
        expect(r.code).toBe(0);
      });
  });
});
