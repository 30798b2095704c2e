/**
 * Parses a written `sidestream ...` command line (from a --help example or a doc) with the CLI's
 * own commander program (src/agent/cli-main.ts buildProgram), without running it: every
 * command's action is replaced by one that only records what it was given. So a line naming an
 * unknown command or flag, missing a flag's value or the job module, or giving too many
 * arguments fails exactly as it would for a user.
 *
 *   const parsed = await parseCliLine('sidestream run job.ts --batch-interval 2s');
 *   if (!parsed.ok) throw new Error(parsed.error);
 */
import { type Command, CommanderError } from 'commander';
import { buildProgram } from '../../src/agent/cli-main.js';
import { configFlagValues } from '../../src/agent/config/cli-options.js';
import type { ConfigField } from '../../src/agent/config.js';
import { shellWords } from './shell-words.js';

export type ParsedCliLine =
  | {
      readonly ok: true;
      /** The command that would run; `sidestream` for the program itself (--help, --version). */
      readonly command: string;
      /** Its arguments (the job module). */
      readonly args: readonly string[];
      /** commander's parsed options, by attribute name. */
      readonly options: Readonly<Record<string, unknown>>;
      /** The settings given as flags, by YAML key: resolveConfig's flag layer. */
      readonly flags: Partial<Record<ConfigField, string>>;
    }
  | { readonly ok: false; readonly error: string };

const SILENT = { writeOut: () => {}, writeErr: () => {}, outputError: () => {} };

/** The program, every command silent and recording instead of running. */
function recordingProgram(record: (command: Command, args: unknown[]) => void): Command {
  const program = buildProgram(() => {});
  for (const command of [program, ...program.commands]) {
    command.exitOverride().configureOutput(SILENT);
    if (command !== program) command.action((...args: unknown[]) => record(command, args));
  }
  return program;
}

/** Parses `sidestream <words...>`; the first word must be `sidestream`. */
export async function parseCliLine(line: string): Promise<ParsedCliLine> {
  const [first, ...words] = shellWords(line);
  if (first !== 'sidestream') return { ok: false, error: `does not start with sidestream: ${line}` };
  return parseCliArgs(words);
}

/** Parses the words after `sidestream`, as the shell would hand them to it. */
export async function parseCliArgs(words: readonly string[]): Promise<ParsedCliLine> {
  const line = ['sidestream', ...words].join(' ');
  let ran: { command: Command; args: unknown[] } | undefined;
  const program = recordingProgram((command, args) => {
    ran = { command, args };
  });
  try {
    await program.parseAsync([...words], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Help and the version are a successful parse too: `sidestream help run`, `run --help`.
    const asked =
      ['commander.helpDisplayed', 'commander.version'].includes(error.code) ||
      (error.code === 'commander.help' && error.exitCode === 0);
    if (!asked) {
      // The bare program prints its help as its complaint; say what it means.
      const message = error.code === 'commander.help' ? 'no command given' : error.message;
      return { ok: false, error: message.replace(/^error: /, '') };
    }
    const named = program.commands.find((c) => words.includes(c.name()));
    return { ok: true, command: named?.name() ?? 'sidestream', args: [], options: {}, flags: {} };
  }
  if (!ran) return { ok: false, error: `no command ran for: ${line}` };
  const { command, args } = ran;
  // commander passes the arguments, then the options, then the command.
  const options = command.opts();
  return {
    ok: true,
    command: command.name(),
    args: args.slice(0, command.registeredArguments.length).filter((a): a is string => typeof a === 'string'),
    options,
    flags: configFlagValues(options),
  };
}
