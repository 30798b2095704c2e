/**
 * The permissions of what the engine writes under its checkpoint directory (metadata checkpoints,
 * the offset log, write-ahead log segments, tail positions) and of the batch log: files 0600 and
 * directories 0700, readable by the agent's user only. The files hold the job's state and data,
 * which may be as sensitive as the data itself, and nothing else on the machine needs them.
 *
 * The modes apply when a file or directory is created (the umask can only remove more bits). A
 * directory that already exists keeps its mode: the agent never chmods a directory the user made
 * or tightened on purpose (docs/security.md says why and what to do about a loose one).
 */
import { mkdir } from 'node:fs/promises';

/** Owner read and write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Owner read, write and search only. */
export const PRIVATE_DIR_MODE = 0o700;

/** `mkdir -p` whose newly created directories (the missing parents too) are 0700. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}
