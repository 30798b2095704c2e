/**
 * Exactly-once into PostgreSQL (Spark's documented pattern for direct streams): a batch's results
 * and its new offsets are written in ONE transaction, and only if the offsets stored for its
 * partitions equal the batch's from-offsets. Re-running a batch whose transaction already
 * committed (a crash after the commit, before the offset log's) finds the stored offsets equal
 * to its until-offsets and writes nothing. So each record's effect lands exactly once, whatever
 * the crash point, as long as the batch's ranges are the same on replay (the offset log's job)
 * and `write` is deterministic for a given batch.
 *
 * Guarantee, precisely: results written through `commitBatch` are applied exactly once per offset
 * range; anything the job writes elsewhere is at-least-once.
 */
import pg from 'pg';
import { SidestreamError } from '../errors.js';
import type { OffsetStore } from '../sources/kafka/offset-store.js';
import { type OffsetRange, topicPartitionKey } from '../topic-partition.js';
import type { SqlClient } from './sql-client.js';

export interface PostgresSinkOptions {
  connectionString: string;
  /** Names this job's rows in the offsets table; several jobs can share one table. */
  app: string;
  /** Default `sidestream_offsets`. Created if missing. */
  offsetsTable?: string;
  /** Connections kept by the pool; default 2. */
  poolSize?: number;
}

export type CommitOutcome = 'applied' | 'already-applied' | 'empty';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export class PostgresTransactionalSink implements OffsetStore {
  private readonly pool: pg.Pool;
  private readonly table: string;
  private ready: Promise<void> | undefined;
  /** Where the stream started partitions with nothing stored yet (OffsetStore.startingAt). */
  private readonly starts = new Map<string, number>();

  constructor(private readonly options: PostgresSinkOptions) {
    const table = options.offsetsTable ?? 'sidestream_offsets';
    if (!IDENTIFIER.test(table)) {
      throw new SidestreamError(
        'SS_CONFIG_INVALID',
        `offsetsTable '${table}' must be a plain lower-case SQL identifier`,
      );
    }
    this.table = table;
    this.pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 2 });
    // An idle client that errors (server restart) must not crash the process.
    this.pool.on('error', () => {});
  }

  /**
   * Where the sink writes, read-only, for checks made before the job starts (`sidestream validate
   * --connect`). The connection string may hold a password: redact it before showing it.
   */
  get target(): { readonly connectionString: string; readonly offsetsTable: string } {
    return { connectionString: this.options.connectionString, offsetsTable: this.table };
  }

  /** Creates the offsets table if it does not exist. Called by the other methods as needed. */
  init(): Promise<void> {
    this.ready ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
          app text NOT NULL, topic text NOT NULL, partition integer NOT NULL,
          until_offset bigint, batch_time bigint, updated_at timestamptz NOT NULL DEFAULT now(),
          PRIMARY KEY (app, topic, partition))`,
      )
      .then(() => undefined)
      .catch((error: unknown) => {
        this.ready = undefined;
        throw error;
      });
    return this.ready;
  }

  startingAt(topic: string, partition: number, offset: number): void {
    this.starts.set(topicPartitionKey(topic, partition), offset);
  }

  async fetchOffsets(topic: string, partitions: readonly number[]): Promise<Map<number, number>> {
    await this.init();
    const { rows } = await this.pool.query<{ partition: number; until_offset: string | null }>(
      `SELECT partition, until_offset FROM ${this.table} WHERE app = $1 AND topic = $2 AND partition = ANY($3::int[])`,
      [this.options.app, topic, partitions],
    );
    const out = new Map<number, number>();
    for (const r of rows) if (r.until_offset !== null) out.set(r.partition, Number(r.until_offset));
    return out;
  }

  /**
   * Runs `write` and stores the batch's until-offsets in one transaction, if and only if the
   * stored offsets equal the batch's from-offsets (or the partitions are new to the table).
   * Returns 'already-applied' without writing when the stored offsets already equal the
   * until-offsets; throws SS_SINK_OFFSET_CONFLICT (remedy: re-plan the batch) otherwise.
   * `write` gets the transaction's client, pg's PoolClient: typed as SqlClient (query only), or as
   * pg's own type when the callback's parameter names it (with @types/pg installed).
   */
  async commitBatch<C extends SqlClient = SqlClient>(
    ranges: readonly OffsetRange[],
    batchTimeMs: number,
    write: (client: C) => Promise<void>,
  ): Promise<CommitOutcome> {
    const moving = ranges.filter((r) => r.untilOffset > r.fromOffset);
    if (moving.length === 0) return 'empty';
    await this.init();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const app = this.options.app;
      const topics = moving.map((r) => r.topic);
      const parts = moving.map((r) => r.partition);
      // Rows for new partitions first, so that the FOR UPDATE below locks every partition we touch.
      await client.query(
        `INSERT INTO ${this.table} (app, topic, partition) SELECT $1, t, p FROM unnest($2::text[], $3::int[]) AS x(t, p)
         ON CONFLICT DO NOTHING`,
        [app, topics, parts],
      );
      const { rows } = await client.query<{ topic: string; partition: number; until_offset: string | null }>(
        `SELECT topic, partition, until_offset FROM ${this.table}
         WHERE app = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[])) FOR UPDATE`,
        [app, topics, parts],
      );
      const stored = new Map(
        rows.map((r) => [
          topicPartitionKey(r.topic, r.partition),
          r.until_offset === null ? null : Number(r.until_offset),
        ]),
      );
      let applied = 0;
      const conflicts: string[] = [];
      for (const r of moving) {
        const key = topicPartitionKey(r.topic, r.partition);
        const s = stored.get(key) ?? null;
        if (s === r.fromOffset) continue;
        if (s === null) {
          // Nothing stored yet: only a range from where the stream started this partition.
          const start = this.starts.get(key);
          if (start === undefined || start === r.fromOffset) continue;
          conflicts.push(
            `${key}: nothing stored, stream started at ${start}, batch [${r.fromOffset}, ${r.untilOffset})`,
          );
          continue;
        }
        if (s === r.untilOffset) applied++;
        else
          conflicts.push(
            `${topicPartitionKey(r.topic, r.partition)}: stored ${s}, batch [${r.fromOffset}, ${r.untilOffset})`,
          );
      }
      if (conflicts.length === 0 && applied === moving.length) {
        await client.query('ROLLBACK');
        return 'already-applied';
      }
      if (conflicts.length > 0 || applied > 0) {
        await client.query('ROLLBACK');
        throw new SidestreamError(
          'SS_SINK_OFFSET_CONFLICT',
          `offsets stored in ${this.table} do not match batch ${batchTimeMs} (${conflicts.join('; ') || 'partly applied'}); ` +
            'nothing was written. Restart the stream so that it resumes from the stored offsets (pass the sink as offsetStore)',
        );
      }
      // The client is pg's PoolClient: a job that annotates its callback with pg's type gets it.
      await write(client as unknown as C);
      await client.query(
        `UPDATE ${this.table} AS o SET until_offset = x.u, batch_time = $4, updated_at = now()
         FROM unnest($2::text[], $3::int[], $5::bigint[]) AS x(t, p, u)
         WHERE o.app = $1 AND o.topic = x.t AND o.partition = x.p`,
        [app, topics, parts, batchTimeMs, moving.map((r) => r.untilOffset)],
      );
      await client.query('COMMIT');
      return 'applied';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
