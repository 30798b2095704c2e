/**
 * The PostgreSQL side of the sum-to-postgres crash fixture: its table, its totals, and waiting
 * until the sink's stored offsets reach the end of every partition.
 */
import type pg from 'pg';
import type { Totals } from './keyed-producer.js';
import { newKafka } from './services.js';
import { waitForAsync } from './wait-for-async.js';

export async function createSumsTable(client: pg.Client, prefix: string): Promise<string> {
  const table = `${prefix}_${Date.now()}`;
  await client.query(
    `CREATE TABLE ${table} (key text PRIMARY KEY, total bigint NOT NULL, count bigint NOT NULL)`,
  );
  return table;
}

export async function readSums(client: pg.Client, table: string): Promise<Record<string, Totals>> {
  const { rows } = await client.query(`SELECT key, total, count FROM ${table}`);
  return Object.fromEntries(rows.map((r) => [r.key, { total: Number(r.total), count: Number(r.count) }]));
}

/** Waits until the sink's offsets table holds every partition's current high watermark. */
export async function waitForSinkAtEnd(
  client: pg.Client,
  offsetsTable: string,
  app: string,
  topic: string,
  timeoutMs: number,
): Promise<void> {
  const admin = newKafka('sums-admin').admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  await admin.disconnect();
  await waitForAsync(
    async () => {
      const { rows } = await client.query(
        `SELECT partition, until_offset FROM ${offsetsTable} WHERE app = $1`,
        [app],
      );
      const stored = new Map(rows.map((r) => [r.partition as number, Number(r.until_offset)]));
      // A partition that never received a record has no row: its end is 0.
      return [...ends].every(([p, end]) => (stored.get(p) ?? 0) === end);
    },
    timeoutMs,
    `the sink to reach the end of every partition of ${topic}`,
  );
}
