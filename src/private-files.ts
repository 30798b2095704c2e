/**
 * The permissions of every file sidestream writes for itself: metadata checkpoints, the offset
 * log, write-ahead log segments, tail positions (all under the checkpoint directory) and the
 * batch log are created 0600, in directories created 0700, readable by the agent's user only.
 * They hold the job's state and data, which may be as sensitive as the data itself, and nothing
 * else on the machine needs them. A root leaf, because state/, sources/ and telemetry/ all write.
 *
 * The modes apply when a file or directory is created (the umask can only remove more bits). A
 * directory that already exists keeps its mode: sidestream never chmods a directory the user made
 * or opened up on purpose (docs/security.md says why and what to do about a loose one). What a
 * job writes as its output (saveAsTextFiles) is the user's and follows the umask instead.
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
