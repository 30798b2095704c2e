/**
 * Durable small-file writes: write a temp file, fsync it, rename it over the target, fsync the
 * directory. After a crash the target is either the old content or the new, never a torn mix,
 * which is what lets the offset log and checkpoints be trusted after `kill -9`.
 */
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileDurably(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const file = await open(tmp, 'w');
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

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
