/**
 * Faults on one node of the 3-broker test cluster (kafka-cluster.ts), by node id: freeze it
 * (SIGSTOP) and thaw it (SIGCONT), kill it (SIGKILL), stop it (SIGTERM: a controlled shutdown that
 * moves its leaders away first), and start it again on the same log dir, waiting until it is back
 * in the ISR of every partition it replicates. The node's pid comes from the pid file
 * scripts/services.sh wrote, checked against the process's command line so that a reused pid is
 * never signalled.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLUSTER_NODE_IDS, clusterBrokerAddress, clusterNodeDir } from './kafka-cluster.js';
import { nodeMetadata } from './node-metadata.js';
import { waitForAsync } from './wait-for-async.js';

const SERVICES_SH = fileURLToPath(new URL('../../scripts/services.sh', import.meta.url));

/** What the node's process is doing. */
export type BrokerProcessState = 'running' | 'frozen' | 'stopped';

async function processCommandLine(pid: number): Promise<string | undefined> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8')
    .then((s) => s.replaceAll('\0', ' '))
    .catch(() => undefined);
}

/** The state letter of /proc/<pid>/stat (R, S, T, Z, ...), or undefined when there is no such process. */
async function processStateLetter(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name in parentheses may hold spaces: the state follows the last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Node `nodeId`'s pid, when its pid file names a live kafka.Kafka process started on its config. */
export async function brokerPid(nodeId: number): Promise<number | undefined> {
  const text = await readFile(join(clusterNodeDir(nodeId), 'kafka.pid'), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const state = await processStateLetter(pid);
  if (state === undefined || state === 'Z') return undefined;
  const cmdline = await processCommandLine(pid);
  const config = `/kafka-cluster/broker-${nodeId}/server.properties`;
  return cmdline?.includes('kafka.Kafka') && cmdline.includes(config) ? pid : undefined;
}

export async function brokerProcessState(nodeId: number): Promise<BrokerProcessState> {
  const pid = await brokerPid(nodeId);
  if (pid === undefined) return 'stopped';
  return (await processStateLetter(pid)) === 'T' ? 'frozen' : 'running';
}

/**
 * The client addresses of the nodes whose process runs and is not frozen: a bootstrap list for
 * the drills' own clients. A frozen node still accepts TCP connections (the kernel does) and then
 * answers nothing, so a client that picked it as its seed would wait out its request timeout.
 */
export async function liveClusterBrokers(): Promise<string[]> {
  const live: string[] = [];
  for (const id of CLUSTER_NODE_IDS) {
    if ((await brokerProcessState(id)) === 'running') live.push(clusterBrokerAddress(id));
  }
  return live;
}

async function runningPid(nodeId: number): Promise<number> {
  const pid = await brokerPid(nodeId);
  if (pid === undefined) {
    throw new Error(`kafka cluster node ${nodeId} is not running (scripts/services.sh up kafka-cluster)`);
  }
  return pid;
}

async function waitForExit(pid: number, timeoutMs: number, what: string): Promise<void> {
  await waitForAsync(
    async () => {
      const state = await processStateLetter(pid);
      return state === undefined || state === 'Z';
    },
    timeoutMs,
    what,
  );
}

/** SIGSTOP: the node keeps its sockets open and answers nothing, as a stalled JVM or host would. */
export async function freezeBroker(nodeId: number): Promise<void> {
  const pid = await runningPid(nodeId);
  process.kill(pid, 'SIGSTOP');
  await waitForAsync(
    async () => (await processStateLetter(pid)) === 'T',
    5000,
    `kafka cluster node ${nodeId} to stop`,
  );
}

/** SIGCONT: a frozen node carries on where it was (it may then find itself fenced). */
export async function thawBroker(nodeId: number): Promise<void> {
  const pid = await runningPid(nodeId);
  process.kill(pid, 'SIGCONT');
  await waitForAsync(
    async () => (await processStateLetter(pid)) !== 'T',
    5000,
    `kafka cluster node ${nodeId} to continue`,
  );
}

/** SIGKILL: the node dies at once, without a controlled shutdown; resolves when it is gone. */
export async function killBroker(nodeId: number): Promise<void> {
  const pid = await runningPid(nodeId);
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 10_000, `kafka cluster node ${nodeId} to die`);
}

/**
 * SIGTERM: a controlled shutdown (the controller moves the node's leaders away first); resolves
 * when the process has exited.
 */
export async function stopBroker(nodeId: number, timeoutMs = 60_000): Promise<void> {
  const pid = await runningPid(nodeId);
  process.kill(pid, 'SIGTERM');
  await waitForExit(pid, timeoutMs, `kafka cluster node ${nodeId} to shut down`);
}

/**
 * `scripts/services.sh up kafka-cluster`: starts every node that is not running, on its existing
 * log dir, and waits until all of them answer with all brokers live. A frozen node is running as
 * far as the script can tell: thaw it first.
 */
export async function startBrokers(): Promise<void> {
  try {
    await promisify(execFile)(SERVICES_SH, ['up', 'kafka-cluster'], { timeout: 180_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `scripts/services.sh up kafka-cluster failed: ${stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
  }
}

export interface IsrWaitOptions {
  /** Only these topics' partitions (default: every topic of the cluster, internal ones too). */
  readonly topics?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * What keeps `nodeId` from being a healthy member, as every other node that answers sees it: a
 * node that does not list it as a live broker, and each partition (of `topics`, or of every topic)
 * that has it among its replicas but not in its ISR ("topic-partition"). Every node is asked on
 * its own (node-metadata.ts): one that was just thawed or restarted still serves its old view.
 */
export async function partitionsMissingReplica(
  nodeId: number,
  topics?: readonly string[],
): Promise<string[]> {
  const missing = new Set<string>();
  for (const address of await liveClusterBrokers()) {
    const metadata = await nodeMetadata(address, topics ?? null);
    if (!metadata.brokers.some((b) => b.nodeId === nodeId)) missing.add(`(not live for ${address})`);
    for (const t of metadata.topics) {
      if (t.errorCode !== 0) missing.add(`${t.name} (error ${t.errorCode} from ${address})`);
      for (const p of t.partitions) {
        if (p.replicas.includes(nodeId) && !p.isr.includes(nodeId)) missing.add(`${t.name}-${p.partition}`);
      }
    }
  }
  return [...missing];
}

/** Waits until `nodeId` is in the ISR of every partition it replicates (of `topics`, or of all). */
export async function waitForBrokerInIsr(nodeId: number, options: IsrWaitOptions = {}): Promise<void> {
  let missing: string[] = [];
  await waitForAsync(
    async () => {
      missing = await partitionsMissingReplica(nodeId, options.topics).catch((error: unknown) => [
        `(metadata: ${error instanceof Error ? error.message : String(error)})`,
      ]);
      return missing.length === 0;
    },
    options.timeoutMs ?? 120_000,
    `kafka cluster node ${nodeId} to rejoin the ISR`,
  ).catch((error: unknown) => {
    throw new Error(
      `timed out waiting for kafka cluster node ${nodeId} to rejoin the ISR of ${missing.length} partitions: ${missing.slice(0, 10).join(', ')}`,
      { cause: error },
    );
  });
}

/**
 * Starts node `nodeId` again after killBroker or stopBroker (every stopped node, in fact) and
 * waits until it is back in the ISR of all it replicates.
 */
export async function restartBroker(nodeId: number, options: IsrWaitOptions = {}): Promise<void> {
  await startBrokers();
  await waitForBrokerInIsr(nodeId, options);
}
