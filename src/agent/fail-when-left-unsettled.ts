/**
 * The last defence against a command that waits for something that can never happen. A promise
 * that never settles holds nothing open: once nothing else is left to do, Node exits with code 0
 * while the command is still "running", so a CI gate running `sidestream validate` passes on a
 * job that never loads. The job load timeout (job-module.ts) fails such a start-up first; this
 * turns any other wait of the kind into a reported failure instead of a silent success.
 */

/** Calls `fail` if the event loop runs dry while `command` is still pending. */
export function failWhenLeftUnsettled(command: Promise<unknown>, fail: () => void): void {
  let settled = false;
  const onBeforeExit = () => {
    if (!settled) fail();
  };
  const done = () => {
    settled = true;
    process.off('beforeExit', onBeforeExit);
  };
  command.then(done, done);
  process.on('beforeExit', onBeforeExit);
}
