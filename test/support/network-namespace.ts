/**
 * A network namespace of a test's own, for putting a network between an agent (or any process)
 * and the services on this machine, and then breaking it: delay, packet loss, a full partition,
 * or the link down. Needs root (CAP_NET_ADMIN), `ip` and `nft` (scripts/network-tools.sh).
 *
 * The layout, for a namespace `ssn<pid>x<k>`:
 *
 *   namespace                                   host
 *   process -> 10.251.255.254:P                 (CLUSTER_NETNS_HOST: no interface has it)
 *     nft DNAT (in the namespace) -> H:P
 *     veth <address>/30  <=====================>  veth H/30 (hostAddress)
 *                                                 TcpForwarder on H:P -> 127.0.0.1:P (the service)
 *
 * Every service the namespace may reach is a "forward": a port P on the virtual services host,
 * relayed by a TcpForwarder (tcp-forwarder.ts) to 127.0.0.1. The 3-broker cluster has a listener
 * per node for this (19292-19294) that advertises 10.251.255.254, so a Kafka client inside
 * follows the advertised addresses back through the same forwards (clusterForwards()). Only
 * addresses this module creates are ever configured: the /30 of the veth pair (in
 * 10.251.0.0/17) and the DNAT target; the host's own tables are never touched, every nft rule
 * lives in the namespace.
 *
 * Faults apply to the forwards marked `faulted` (by default all; PostgreSQL is usually not):
 * - partition(): nft drops every packet to and from them, both ways: a silent black hole, like a
 *   firewall or a dead route (connections hang, new ones time out);
 * - loss(percent): nft drops that share of their packets at random, both ways (TCP retransmits);
 * - delay(ms): their forwarders hold every chunk for ms each way (the kernel here has no netem);
 * - linkDown(): the namespace's end of the veth goes down: everything is cut, including the
 *   test's own requests to the agent's HTTP port inside (partition() leaves those alone);
 * - heal(): all of it undone.
 * close() deletes the namespace (and with it the veth pair); kill the processes inside first.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { CLUSTER_NETNS_HOST, CLUSTER_NODE_IDS, clusterNetnsPort } from './kafka-cluster.js';
import { requireService } from './services.js';
import { startTcpForwarder, type TcpForwarder } from './tcp-forwarder.js';

/** ip and nft live in /usr/sbin, which a non-login PATH may lack. */
const ENV = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };
const TABLE = 'sidestream_faults';

export interface NamespaceForward {
  /** The port the namespace connects to on the services host (CLUSTER_NETNS_HOST). */
  readonly port: number;
  /** Where the host side relays it; default 127.0.0.1 on the same port. */
  readonly target?: { readonly host: string; readonly port: number };
  /** Whether partition, loss and delay apply to it; default true. */
  readonly faulted?: boolean;
}

export interface NetworkNamespaceOptions {
  readonly forwards: readonly NamespaceForward[];
}

export interface NetworkNamespace {
  readonly name: string;
  /** The host's end of the veth pair: where the forwarders listen. */
  readonly hostAddress: string;
  /** The namespace's end: what a server inside listens on for the host to reach it. */
  readonly address: string;
  /** The address a process inside uses for every forwarded service (CLUSTER_NETNS_HOST). */
  readonly servicesHost: string;
  /** Prepend to a command to run it inside: `ip netns exec <name>` (it execs: the pid is the command's). */
  readonly execPrefix: readonly string[];
  /** Runs `command args` inside and resolves with its output (rejects on a non-zero exit). */
  exec(command: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }>;
  /** Drops every packet to and from the faulted forwards, both ways. */
  partition(): Promise<void>;
  /** Drops `percent` of the packets to and from the faulted forwards, each way, at random. */
  loss(percent: number): Promise<void>;
  /** Holds the faulted forwards' traffic for `ms` each way (0: none). */
  delay(ms: number): void;
  /** Takes the namespace's end of the veth down (everything is cut) or up again. */
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
  /** Removes every partition and loss rule and the delay, and brings the link up. */
  heal(): Promise<void>;
  /** Packets the partition and loss rules have dropped since the namespace was made. */
  droppedPackets(): Promise<number>;
  /** Stops the forwarders and deletes the namespace and its veth pair. */
  close(): Promise<void>;
}

async function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    // A command that exits without reading its input (ip) must not fail the write with EPIPE.
    child.stdin.on('error', () => {});
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** The forwards of the 3-broker cluster's namespace listeners, faulted. */
export function clusterForwards(): NamespaceForward[] {
  return CLUSTER_NODE_IDS.map((id) => ({ port: clusterNetnsPort(id) }));
}

/** PostgreSQL (127.0.0.1:5433), not faulted: the sink's database stays reachable in a Kafka drill. */
export function postgresForward(faulted = false): NamespaceForward {
  return { port: 5433, faulted };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces this module made in processes that are gone (a test that crashed). */
async function removeOrphans(): Promise<void> {
  const list = await run('ip', ['netns', 'list']).catch(() => '');
  for (const line of list.split('\n')) {
    const match = /^ssn(\d+)x\d+\b/.exec(line.trim());
    if (match && !pidAlive(Number(match[1]))) {
      await run('ip', ['netns', 'del', match[0]]).catch(() => {});
    }
  }
}

/** A /30 in 10.251.0.0/17 that no interface of this host uses yet: [host end, namespace end]. */
async function freeSubnet(): Promise<[string, string]> {
  const used = await run('ip', ['-4', '-o', 'addr', 'show']);
  for (let attempt = 0; attempt < 100; attempt++) {
    const k = Math.floor(Math.random() * 8192);
    const base = `10.251.${k >> 6}.`;
    const low = (k & 63) << 2;
    const host = `${base}${low + 1}`;
    if (!used.includes(` ${host}/`)) return [host, `${base}${low + 2}`];
  }
  throw new Error('no free /30 in 10.251.0.0/17');
}

let counter = 0;

export async function createNetworkNamespace(options: NetworkNamespaceOptions): Promise<NetworkNamespace> {
  await removeOrphans();
  counter++;
  const name = `ssn${process.pid}x${counter}`;
  const hostIf = `ssh${process.pid}x${counter}`;
  const nsIf = `ssv${process.pid}x${counter}`;
  const [hostAddress, address] = await freeSubnet();
  const forwarders: { forward: NamespaceForward; forwarder: TcpForwarder }[] = [];
  const ip = (...args: string[]) => run('ip', args);
  const inside = (args: readonly string[], input?: string) =>
    run('ip', ['netns', 'exec', name, ...args], input);

  await ip('netns', 'add', name);
  try {
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name);
    await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', name, 'link', 'set', 'lo', 'up');
    await ip('-n', name, 'addr', 'add', `${address}/30`, 'dev', nsIf);
    await ip('-n', name, 'link', 'set', nsIf, 'up');
    await ip('-n', name, 'route', 'add', 'default', 'via', hostAddress);

    const faultedPorts = options.forwards.filter((f) => f.faulted !== false).map((f) => f.port);
    const elements = faultedPorts.length > 0 ? `elements = { ${faultedPorts.join(', ')} }` : '';
    // Filter chains run after the DNAT (priority 0 > -100) on the way out, and before the reply's
    // source is translated back (which happens at priority 100) on the way in: they see hostAddress.
    await inside(
      ['nft', '-f', '-'],
      `table ip ${TABLE} {
  set faulted_ports { type inet_service; ${elements} }
  chain nat_output { type nat hook output priority -100; policy accept; ip daddr ${CLUSTER_NETNS_HOST} dnat to ${hostAddress}; }
  chain fault_out { type filter hook output priority 0; policy accept; }
  chain fault_in { type filter hook input priority 0; policy accept; }
}
`,
    );
    for (const forward of options.forwards) {
      const forwarder = await startTcpForwarder({
        listenHost: hostAddress,
        listenPort: forward.port,
        targetHost: forward.target?.host ?? '127.0.0.1',
        targetPort: forward.target?.port ?? forward.port,
      });
      forwarders.push({ forward, forwarder });
    }
  } catch (error) {
    for (const { forwarder } of forwarders) await forwarder.close();
    await ip('netns', 'del', name).catch(() => {});
    throw error;
  }

  let droppedBeforeFlush = 0;
  const countDropped = async (): Promise<number> => {
    const json = JSON.parse(await inside(['nft', '-j', 'list', 'table', 'ip', TABLE])) as {
      nftables: { rule?: { expr?: Record<string, unknown>[] } }[];
    };
    let packets = 0;
    for (const item of json.nftables) {
      const expr = item.rule?.expr ?? [];
      if (!expr.some((e) => 'drop' in e)) continue;
      for (const e of expr) {
        const counterExpr = e.counter as { packets?: number } | undefined;
        packets += counterExpr?.packets ?? 0;
      }
    }
    return packets;
  };
  const dropRules = async (match: string) => {
    await inside(
      ['nft', '-f', '-'],
      `add rule ip ${TABLE} fault_out ip daddr ${hostAddress} tcp dport @faulted_ports ${match} counter drop
add rule ip ${TABLE} fault_in ip saddr { ${hostAddress}, ${CLUSTER_NETNS_HOST} } tcp sport @faulted_ports ${match} counter drop
`,
    );
  };
  const flushRules = async () => {
    droppedBeforeFlush += await countDropped();
    await inside(['nft', '-f', '-'], `flush chain ip ${TABLE} fault_out\nflush chain ip ${TABLE} fault_in\n`);
  };
  const linkUp = async () => {
    await ip('-n', name, 'link', 'set', nsIf, 'up');
    // The default route went away with the link; put it back.
    await ip('-n', name, 'route', 'replace', 'default', 'via', hostAddress);
  };
  const setDelay = (ms: number) => {
    for (const { forward, forwarder } of forwarders) if (forward.faulted !== false) forwarder.setDelay(ms);
  };

  return {
    name,
    hostAddress,
    address,
    servicesHost: CLUSTER_NETNS_HOST,
    execPrefix: ['ip', 'netns', 'exec', name],
    async exec(command, args) {
      const { stdout, stderr } = await promisify(execFile)('ip', ['netns', 'exec', name, command, ...args], {
        env: ENV,
      });
      return { stdout, stderr };
    },
    async partition() {
      await flushRules();
      await dropRules('');
    },
    async loss(percent) {
      if (!(percent > 0 && percent <= 100)) throw new Error(`loss must be in (0, 100], not ${percent}`);
      await flushRules();
      await dropRules(`numgen random mod 100 < ${Math.round(percent)}`);
    },
    delay: setDelay,
    async linkDown() {
      await ip('-n', name, 'link', 'set', nsIf, 'down');
    },
    linkUp,
    async heal() {
      await flushRules();
      setDelay(0);
      await linkUp();
    },
    async droppedPackets() {
      return droppedBeforeFlush + (await countDropped());
    },
    async close() {
      for (const { forwarder } of forwarders) await forwarder.close();
      await ip('netns', 'del', name).catch(() => {});
    },
  };
}

let namespacesProbe: Promise<boolean> | undefined;

/**
 * True when this process can make network namespaces with nft rules in them (root, `ip`, `nft`):
 * it makes and deletes one. Under CI=true it throws when it cannot; otherwise the file is skipped.
 */
export function requireNetworkNamespaces(): Promise<boolean> {
  namespacesProbe ??= requireService(
    'network namespaces',
    'ip netns / nft',
    async () => {
      if (process.getuid?.() !== 0) throw new Error('not root');
      const name = `ssn${process.pid}x0`;
      await run('ip', ['netns', 'add', name]);
      try {
        await run('ip', ['netns', 'exec', name, 'nft', 'list', 'ruleset']);
      } finally {
        await run('ip', ['netns', 'del', name]).catch(() => {});
      }
    },
    'run scripts/network-tools.sh (it installs iproute2 and nftables) and the tests as root (see docs/services.md)',
  );
  return namespacesProbe;
}
