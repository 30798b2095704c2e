/**
 * Imported by cli.ts for its side effect, before cli.ts loads the command (cli-main.ts) with a
 * dynamic import, so the signal handlers are in place before the heavier modules (commander,
 * kafkajs, the engine) are even read. Only the long-running commands catch signals this early;
 * `status` and `validate` keep Node's default so Ctrl-C ends them as usual.
 */
import { captureStopSignals } from './stop-signals.js';

const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'run' || command === 'demo') captureStopSignals();
