/**
 * Durable small-file writes: write a temp file, fsync it, rename it over the target, fsync the
 * directory. After a crash the target is either the old content or the new, never a torn mix,
 * which is what lets the offset log and checkpoints be trusted after `kill -9`. The target ends
 * up 0600 (private-files.ts), whatever the mode of the file it replaces.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PRIVATE_FILE_MODE } from '../private-files.js';

export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const file = await createExclusively(tmp);
  try {
    await file.writeFile(data);
    await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    // A full disk must not also keep the partial temp file's blocks.
    await rm(tmp, { force: true }).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * A new file, created 0600. A temp file left by a crash of a process with the same pid (pid 1 in
 * a container restarts as pid 1) is removed first rather than reused: reusing it would keep its
 * old mode, and O_EXCL also refuses to follow a symbolic link planted in its place.
 */
async function createExclusively(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await rm(path, { force: true });
    return await open(path, 'wx', PRIVATE_FILE_MODE);
  }
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
