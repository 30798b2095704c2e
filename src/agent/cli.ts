#!/usr/bin/env node
/**
 * The `sidestream` command (package.json `bin`). Only this: catch SIGTERM/SIGINT, then load the
 * command (cli-main.ts) with a dynamic import. Static imports are all loaded and linked before
 * the first module runs, so with the command imported statically a signal that came while
 * commander, the config table and the engine were being loaded (a few hundred ms) still met
 * Node's default action and killed the agent (seen as unclean stops in the fleet soak).
 */
import './catch-early-signals.js';

const { runCli } = await import('./cli-main.js');
runCli();
