/**
 * The member id a direct stream holds in its consumer group, kept so that a stream coming back
 * rejoins the group as the member it was, instead of as a stranger. After `kill -9` the group
 * coordinator still counts the dead process as a member until its session expires (kafkajs'
 * default sessionTimeout is 30 s); a new member's JoinGroup makes the coordinator wait for that
 * member to rejoin first, so the restarted agent would read nothing for up to the session
 * timeout. Rejoining with the old member id is the dead member coming back: the coordinator
 * answers at once (a follower gets the current generation and its old assignment back without a
 * rebalance; a leader starts a rebalance that completes as soon as the live members rejoin).
 *
 * The id is written under the stream's offset log directory (`group-member`, 0600) on every
 * join that changes it, removed when the stream leaves the group on a graceful stop, and used
 * for the consumer's first JoinGroup (and the first JoinGroup after kafkajs restarts a crashed
 * consumer). A coordinator that no longer knows it answers UNKNOWN_MEMBER_ID: the id is
 * forgotten and kafkajs joins as a new member, as it would have without it.
 *
 * kafkajs 2.2.4 (pinned in package.json) sends JoinGroup with the member id its ConsumerGroup
 * keeps, which no public option sets: a wrapped partition assigner gets the consumer's own
 * cluster, whose group coordinator lookups are wrapped to answer with the coordinator broker
 * behind a proxy that substitutes the kept id in a JoinGroup sent without one. Everything else
 * the consumer asks of its coordinator goes to the broker unchanged. docs/kafka.md ("Restarts
 * after a crash") describes what this does with several agents and without a checkpoint directory.
 */
import { readFile, rm } from 'node:fs/promises';
import type { PartitionAssigner } from 'kafkajs';
import { describeError } from '../../errors.js';
import { writeFileDurably } from '../../state/durable-file.js';

const FORMAT = 1;

/** The JoinGroup request kafkajs' ConsumerGroup sends through its coordinator broker. */
interface JoinGroupRequest {
  readonly memberId?: string;
  readonly [field: string]: unknown;
}

type JoinGroup = (request: JoinGroupRequest) => Promise<unknown>;

export class GroupMemberId {
  private known: string | undefined;
  private coordinatorAddress: string | undefined;
  private writes: Promise<void> = Promise.resolve();

  /** `file`: where the id is kept (none without a checkpoint directory: kept in memory only). */
  constructor(
    private readonly file: string | undefined,
    private readonly groupId: string,
    private readonly onWriteError: (message: string) => void,
  ) {}

  /** The id kept by an earlier run of the stream, if its file holds one for this group. */
  async load(): Promise<void> {
    if (!this.file) return;
    const text = await readFile(this.file, 'utf8').catch(() => undefined);
    if (text === undefined) return;
    try {
      const kept = JSON.parse(text) as { format?: unknown; groupId?: unknown; memberId?: unknown };
      if (
        kept.format === FORMAT &&
        kept.groupId === this.groupId &&
        typeof kept.memberId === 'string' &&
        kept.memberId
      )
        this.known = kept.memberId;
    } catch {
      // A damaged file is no id: the stream joins as a new member.
    }
  }

  /** The id the next JoinGroup without one is sent with. */
  get memberId(): string | undefined {
    return this.known;
  }

  /** `host:port` of the group coordinator, once the consumer has looked it up. */
  get coordinator(): string | undefined {
    return this.coordinatorAddress;
  }

  /** kafkajs' round-robin assigner, on a consumer whose JoinGroups without an id use the kept one. */
  assigner(roundRobin: PartitionAssigner): PartitionAssigner {
    return (config) => {
      const cluster = config.cluster;
      const find = cluster.findGroupCoordinator.bind(cluster);
      cluster.findGroupCoordinator = async (group) => {
        const broker = await find(group);
        const address = (broker as { brokerAddress?: unknown }).brokerAddress;
        if (typeof address === 'string') this.coordinatorAddress = address;
        return this.rejoining(broker);
      };
      return roundRobin(config);
    };
  }

  /** The group gave the consumer `memberId` (GROUP_JOIN): kept, and written when it changed. */
  joined(memberId: string): void {
    if (!memberId || memberId === this.known) return;
    this.known = memberId;
    this.write();
  }

  /** The stream left the group (graceful stop): the id names no member any more. */
  async left(): Promise<void> {
    this.known = undefined;
    await this.writes;
    if (this.file) await rm(this.file, { force: true }).catch(() => {});
  }

  private rejoining<B extends object>(broker: B): B {
    return new Proxy(broker, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target) as unknown;
        if (property === 'joinGroup' && typeof value === 'function') {
          const join = (value as JoinGroup).bind(target);
          return (request: JoinGroupRequest) => this.join(join, request);
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private async join(join: JoinGroup, request: JoinGroupRequest): Promise<unknown> {
    const rejoinAs = request.memberId ? undefined : this.known;
    if (rejoinAs === undefined) return join(request);
    try {
      return await join({ ...request, memberId: rejoinAs });
    } catch (error) {
      // The coordinator no longer knows the member (its session expired, or it left): forget
      // it, and kafkajs' retry joins as a new member.
      const type = (error as { type?: unknown }).type;
      if (type === 'UNKNOWN_MEMBER_ID' || type === 'FENCED_INSTANCE_ID') {
        if (this.known === rejoinAs) this.known = undefined;
      }
      throw error;
    }
  }

  private write(): void {
    const file = this.file;
    const memberId = this.known;
    if (!file || memberId === undefined) return;
    const body = JSON.stringify({ format: FORMAT, groupId: this.groupId, memberId });
    this.writes = this.writes
      .then(() => writeFileDurably(file, body))
      .catch((error: unknown) =>
        this.onWriteError(
          `cannot keep the group member id in ${file}: ${describeError(error)}; after a crash the restarted stream waits for the old member's session to expire`,
        ),
      );
  }
}
