/**
 * What a document shows a reader to type or to save, for test/docs/doc-examples.test.ts: its
 * fenced blocks, the `sidestream` command lines in its shell blocks (and in the usage comments of
 * examples/), the `sidestream ...` spans of its inline code, and which YAML blocks are sidestream
 * configuration files.
 */
import { parse } from 'yaml';
import { SETTINGS } from '../../src/agent/config/settings.js';
import { shellWords } from './shell-words.js';

export interface FencedBlock {
  /** The info string's first word: `sh`, `yaml`, '' for none. */
  readonly lang: string;
  readonly body: string;
  /** The 1-based line of the opening fence. */
  readonly line: number;
}

/** One `sidestream` command line: where it is, as written, and the words after `sidestream`. */
export interface Invocation {
  readonly line: number;
  readonly text: string;
  readonly args: readonly string[];
}

export const SHELL_LANGS: readonly string[] = ['sh', 'bash', 'shell', 'console', 'zsh'];

const FENCE = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```/gm;

function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

export function fencedBlocks(markdown: string): FencedBlock[] {
  return [...markdown.matchAll(FENCE)].map((m) => ({
    lang: m[1] ?? '',
    body: m[2] ?? '',
    line: lineAt(markdown, m.index),
  }));
}

/** Words that end one command and start the next. */
const SEPARATORS = new Set(['|', '||', '&&', ';', '&']);
/** A redirection that takes the next word as its target (`> out.txt`), or carries it (`2>&1`). */
const REDIRECT_ALONE = /^(\d?>>?|<|&>)$/;
const REDIRECT_JOINED = /^(\d?>>?|<|&>)\S+$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The simple commands of one shell line, each as its words, redirections left out. */
function simpleCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  const words = shellWords(line.replace(/^\s*\$\s+/, ''));
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (SEPARATORS.has(word)) commands.push([]);
    else if (REDIRECT_ALONE.test(word)) i++;
    else if (!REDIRECT_JOINED.test(word)) commands[commands.length - 1]?.push(word);
  }
  return commands.filter((c) => c.length > 0);
}

/**
 * The words after `sidestream` in one simple command, or null when it runs no sidestream command:
 * a command that starts with `sidestream` (after variable assignments and `npx`), whatever
 * follows it; or one that hands `sidestream` a command or a flag further on (`docker run ...
 * sidestream run job.mjs`), where a bare `sidestream` is an image name, not the CLI.
 */
function sidestreamArgs(words: readonly string[], commands: readonly string[]): string[] | null {
  let start = 0;
  while (start < words.length && ASSIGNMENT.test(words[start] as string)) start++;
  if (words[start] === 'npx') start++;
  if (words[start] === 'sidestream') return words.slice(start + 1);
  for (let i = start; i < words.length - 1; i++) {
    const next = words[i + 1] as string;
    if (words[i] === 'sidestream' && (commands.includes(next) || next.startsWith('-')))
      return words.slice(i + 1);
  }
  return null;
}

/** The `sidestream` command lines of shell text (continued lines joined), with their line numbers. */
export function shellInvocations(text: string, firstLine: number, commands: readonly string[]): Invocation[] {
  const found: Invocation[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]}`;
    for (const words of simpleCommands(line)) {
      const args = sidestreamArgs(words, commands);
      // The text without its trailing comment, to name the line in messages.
      const text = line.replace(/\s+#[^'"]*$/, '').trim();
      if (args !== null) found.push({ line: firstLine + start, text, args });
    }
  }
  return found;
}

/** The `sidestream` command lines of a document's shell blocks. */
export function blockInvocations(markdown: string, commands: readonly string[]): Invocation[] {
  return fencedBlocks(markdown)
    .filter((b) => SHELL_LANGS.includes(b.lang))
    .flatMap((b) => shellInvocations(b.body, b.line + 1, commands));
}

/**
 * The usage lines in a source file's comments (` *   sidestream run examples/clicks.mjs`): the
 * indented lines of a block comment, as examples/ writes them.
 */
export function commentInvocations(source: string, commands: readonly string[]): Invocation[] {
  return source.split('\n').flatMap((text, i) => {
    const usage = /^\s*\*\s{3,}(\S.*)$/.exec(text)?.[1];
    return usage === undefined ? [] : shellInvocations(usage, i + 1, commands);
  });
}

/**
 * The inline code spans `sidestream ...` outside fenced blocks. Prose writes them as synopses
 * (`sidestream run <job-module>`, `sidestream run --supervise`), so they are checked for their
 * command and flags only, not parsed whole.
 */
export function inlineInvocations(markdown: string): Invocation[] {
  const prose = markdown.replace(FENCE, (block) => block.replace(/[^\n]/g, ' '));
  return [...prose.matchAll(/`(?:npx )?sidestream(?: ([^`]*))?`/g)].map((m) => ({
    line: lineAt(prose, m.index),
    text: m[0].slice(1, -1),
    args: (m[1] ?? '').split(/\s+/).filter((w) => w !== ''),
  }));
}

const SETTING_KEYS: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.key));

/**
 * Whether a YAML block is a sidestream configuration file: it names itself one in its first
 * comment, or a top-level key is a setting's. Deciding by any key, not all, is what lets a
 * misspelt key fail validation instead of making the block look like someone else's YAML.
 */
export function isSidestreamConfig(yaml: string): boolean {
  if (/^#[^\n]*sidestream\.ya?ml/.test(yaml.trimStart())) return true;
  let value: unknown;
  try {
    value = parse(yaml);
  } catch {
    return false;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.keys(value).some((k) => SETTING_KEYS.has(k));
}
