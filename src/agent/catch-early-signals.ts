/**
 * Imported first by cli.ts for its side effect: ES modules evaluate their imports in order, so
 * the signal handlers are in place before the heavier modules (kafkajs, the engine) load. Only
 * the long-running commands catch signals this early; `status` and `validate` keep Node's
 * default so Ctrl-C ends them as usual.
 */
import { captureStopSignals } from './stop-signals.js';

const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'run' || command === 'demo') captureStopSignals();
