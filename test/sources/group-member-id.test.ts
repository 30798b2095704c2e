/**
 * GroupMemberId without a broker: the member id is kept in its file (0600) for its group only,
 * forgotten once the stream left the group; a consumer's JoinGroup sent without an id goes out
 * with the kept one, through the coordinator kafkajs looks up, and everything else reaches that
 * broker unchanged; a coordinator that no longer knows the member makes it join as a new one.
 * test/recovery/kafka-restart-gap.test.ts measures what this buys against a real broker.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, PartitionAssigner } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupMemberId } from '../../src/sources/kafka/group-member-id.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode(code: number): Error;
};
const UNKNOWN_MEMBER_ID = 25;

const dirs: string[] = [];

async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 10));
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function memberFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ss-member-'));
  dirs.push(dir);
  return join(dir, 'group-member');
}

/** A coordinator broker that records the JoinGroups it gets; `refuse` ids get UNKNOWN_MEMBER_ID. */
function coordinator(refuse: readonly string[] = []) {
  const joins: string[] = [];
  const broker = {
    brokerAddress: '127.0.0.1:9092',
    async joinGroup(request: { memberId: string }) {
      joins.push(request.memberId);
      if (refuse.includes(request.memberId)) throw createErrorFromCode(UNKNOWN_MEMBER_ID);
      return { memberId: request.memberId || 'assigned-by-broker', generationId: 1 };
    },
    async heartbeat(this: { brokerAddress: string }) {
      return this.brokerAddress;
    },
  };
  return { broker, joins };
}

/** A consumer's cluster as the assigner sees it, with its coordinator lookup. */
function consumerCluster(broker: object): Cluster {
  return { findGroupCoordinator: async () => broker } as unknown as Cluster;
}

const roundRobin: PartitionAssigner = () => ({
  name: 'RoundRobinAssigner',
  version: 0,
  assign: async () => [],
  protocol: () => ({ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }),
});

describe('GroupMemberId', () => {
  it('keeps the id of its own group, 0600; a damaged file or another group’s is no id', async () => {
    const file = await memberFile();
    const member = new GroupMemberId(file, 'g', () => {});
    member.joined('m-1');
    member.joined('m-2');
    await until(async () => (await readFile(file, 'utf8').catch(() => '')).includes('m-2'));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ format: 1, groupId: 'g', memberId: 'm-2' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const restarted = new GroupMemberId(file, 'g', () => {});
    await restarted.load();
    expect(restarted.memberId).toBe('m-2');
    const other = new GroupMemberId(file, 'other-group', () => {});
    await other.load();
    expect(other.memberId).toBeUndefined();
    await writeFile(file, '{"format":1,"groupId":"g","memberId"');
    const damaged = new GroupMemberId(file, 'g', () => {});
    await damaged.load();
    expect(damaged.memberId).toBeUndefined();
  });

  it('forgets the id, and its file, once the stream left the group', async () => {
    const file = await memberFile();
    const member = new GroupMemberId(file, 'g', () => {});
    member.joined('m-1');
    await member.left();
    expect(member.memberId).toBeUndefined();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a JoinGroup without an id goes out as the kept member; with an id, and everything else, unchanged', async () => {
    const file = await memberFile();
    await writeFile(file, JSON.stringify({ format: 1, groupId: 'g', memberId: 'sidestream-g-dead' }));
    const member = new GroupMemberId(file, 'g', () => {});
    await member.load();
    const { broker, joins } = coordinator();
    const cluster = consumerCluster(broker);
    const assigner = member.assigner(roundRobin)({ cluster, groupId: 'g', logger: undefined as never });
    expect(assigner.name).toBe('RoundRobinAssigner');
    const found = (await cluster.findGroupCoordinator({ groupId: 'g' })) as unknown as typeof broker;
    expect(member.coordinator).toBe('127.0.0.1:9092');
    await found.joinGroup({ memberId: '' });
    await found.joinGroup({ memberId: 'sidestream-g-live' });
    expect(joins).toEqual(['sidestream-g-dead', 'sidestream-g-live']);
    // Other requests reach the broker itself.
    expect(await found.heartbeat()).toBe('127.0.0.1:9092');
  });

  it('a coordinator that no longer knows the member: forgotten, and the retry joins as a new member', async () => {
    const member = new GroupMemberId(undefined, 'g', () => {});
    member.joined('expired');
    const { broker, joins } = coordinator(['expired']);
    const cluster = consumerCluster(broker);
    member.assigner(roundRobin)({ cluster, groupId: 'g', logger: undefined as never });
    const found = (await cluster.findGroupCoordinator({ groupId: 'g' })) as unknown as typeof broker;
    await expect(found.joinGroup({ memberId: '' })).rejects.toMatchObject({ type: 'UNKNOWN_MEMBER_ID' });
    expect(member.memberId).toBeUndefined();
    await found.joinGroup({ memberId: '' });
    expect(joins).toEqual(['expired', '']);
  });

  it('says so when the id cannot be kept', async () => {
    const messages: string[] = [];
    const member = new GroupMemberId('/nonexistent-dir/sub/group-member', 'g', (m) => messages.push(m));
    member.joined('m-1');
    await until(async () => messages.length > 0);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(
      /cannot keep the group member id in \/nonexistent-dir\/sub\/group-member: .*waits for the old member's session to expire/,
    );
  });
});
