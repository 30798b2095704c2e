/**
 * One user of the 3-broker test cluster at a time. Test files run in parallel, and the cluster
 * tolerates ONE broker down: a drill that kills a node while another file has frozen a second one
 * would leave a single broker, below min.insync.replicas, and both would fail for each other's
 * faults. So every file that uses the cluster (and `npm run soak`) holds this lock while it runs:
 * a file `.lock-users` in the cluster's run directory, created exclusively and holding the owner's
 * pid, waited for by the others and taken over when its owner is gone.
 *
 *   beforeAll(async () => { release = await lockKafkaCluster('my drill'); }, LOCK_WAIT_MS);
 *   afterAll(async () => { await release?.(); });
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterRunDir } from './kafka-cluster.js';

/** How long a file may wait for the cluster: the other users' whole runs (a fleet soak is minutes). */
export const LOCK_WAIT_MS = 15 * 60_000;

interface Holder {
  readonly pid: number;
  readonly owner: string;
  readonly since: string;
}

function lockPath(): string {
  return join(clusterRunDir(), '.lock-users');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(): Promise<Holder | undefined> {
  const text = await readFile(lockPath(), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Holder;
  } catch {
    // Being written this very moment: treat as held, the next look will read it whole.
    return { pid: -1, owner: '(being written)', since: '' };
  }
}

/**
 * Waits until no one else uses the cluster, takes it, and resolves with the function that gives
 * it back. A lock whose owner process is gone, or is this process (a file that ended without
 * releasing it), is taken over.
 */
export async function lockKafkaCluster(
  owner: string,
  timeoutMs = LOCK_WAIT_MS,
): Promise<() => Promise<void>> {
  await mkdir(clusterRunDir(), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const me: Holder = { pid: process.pid, owner, since: new Date().toISOString() };
  for (;;) {
    try {
      const file = await open(lockPath(), 'wx');
      await file.writeFile(JSON.stringify(me));
      await file.close();
      // Two waiters that both found a stale lock may both have removed it; whoever's file is
      // there a moment later holds it, the other waits on.
      await new Promise((r) => setTimeout(r, 100));
      if ((await holder())?.pid === process.pid) break;
      continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = await holder();
    if (current && current.pid !== -1 && (current.pid === process.pid || !alive(current.pid))) {
      await unlink(lockPath()).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the Kafka cluster has been in use by ${current?.owner} (pid ${current?.pid}) since ${current?.since}; gave up after ${timeoutMs} ms`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return async () => {
    if ((await holder())?.pid === process.pid) await unlink(lockPath()).catch(() => {});
  };
}

/**
 * Whether another live process holds the cluster now: its drills may have a node down or frozen
 * for a while, which is no reason for a file that merely probes the cluster to fail.
 */
export async function clusterHeldByOther(): Promise<boolean> {
  const current = await holder();
  return current !== undefined && current.pid !== process.pid && (current.pid === -1 || alive(current.pid));
}
