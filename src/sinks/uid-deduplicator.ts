/**
 * Exactly-once by record UID (the third choice after a restart, beside skipping the interrupted
 * batch or re-running it blindly: re-run it and let the store tell what it already has). `claim` inserts the UIDs (`topic-partition-offset`) of
 * the records about to be written into a table with the UID as primary key, inside the caller's
 * transaction, and returns the ones that were new: write only those, in the same transaction.
 * Replays, retries and overlapping ranges after a rebalance then write every record at most once,
 * and since nothing is skipped before the commit, exactly once.
 *
 * Guarantee, precisely: for writes made in the same PostgreSQL transaction as `claim`, each UID's
 * write commits at most once, for as long as its row is kept (see `prune`).
 */
import { SidestreamError } from '../errors.js';
import type { SqlClient } from './sql-client.js';

export interface UidDeduplicatorOptions {
  /** Names this job's rows; several jobs can share one table. */
  app: string;
  /** Default `sidestream_seen_uids`. Created if missing. */
  table?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export class UidDeduplicator {
  private readonly table: string;
  private readonly created = new WeakSet<object>();

  constructor(private readonly options: UidDeduplicatorOptions) {
    const table = options.table ?? 'sidestream_seen_uids';
    if (!IDENTIFIER.test(table)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `UidDeduplicator table '${table}' must be a plain lower-case SQL identifier`,
      );
    }
    this.table = table;
  }

  async init(client: SqlClient): Promise<void> {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
        app text NOT NULL, uid text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (app, uid))`,
    );
    this.created.add(client);
  }

  /**
   * Records `uids` as written and returns those not recorded before. Call inside the transaction
   * that writes the records, and write only the returned ones.
   */
  async claim(client: SqlClient, uids: readonly string[]): Promise<Set<string>> {
    if (uids.length === 0) return new Set();
    if (!this.created.has(client)) await this.init(client);
    const { rows } = await client.query<{ uid: string }>(
      `INSERT INTO ${this.table} (app, uid) SELECT $1, u FROM unnest($2::text[]) AS u
       ON CONFLICT DO NOTHING RETURNING uid`,
      [this.options.app, [...new Set(uids)]],
    );
    return new Set(rows.map((r) => r.uid));
  }

  /** Forgets UIDs claimed more than `olderThanMs` ago; replays older than that are no longer caught. */
  async prune(client: SqlClient, olderThanMs: number): Promise<number> {
    const result = await client.query(
      `DELETE FROM ${this.table} WHERE app = $1 AND seen_at < now() - ($2::bigint * interval '1 millisecond')`,
      [this.options.app, olderThanMs],
    );
    return result.rowCount ?? 0;
  }
}
