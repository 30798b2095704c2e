/**
 * `validate --connect` for a PostgresTransactionalSink a direct stream uses as its offset store:
 * a connection and a query answer, and whether the offsets table exists yet (the sink creates it
 * on first use). The connection string is shown as scheme, host, port and database only: its
 * user-info and query may hold a password.
 */
import pg from 'pg';
import type { CheckProgress, ConnectCheck } from './connect-check.js';

export function postgresSinkCheck(
  sink: { readonly target: { readonly connectionString: string; readonly offsetsTable: string } },
  input: string,
): ConnectCheck {
  const { connectionString, offsetsTable } = sink.target;
  return {
    target: `postgres ${shown(connectionString)} (sink of input ${input})`,
    service: 'PostgreSQL',
    run: (progress) => check(connectionString, offsetsTable, progress),
  };
}

function shown(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(connection string not shown)';
  }
}

async function check(connectionString: string, table: string, progress: CheckProgress): Promise<void> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: progress.timeoutMs });
  // An error after the check (the server going away) must not end the process.
  client.on('error', () => {});
  const close = () => void client.end().catch(() => {});
  progress.signal.addEventListener('abort', close, { once: true });
  try {
    progress.step('connecting');
    await client.connect();
    progress.step('querying');
    const { rows } = await client.query<{ db: string; present: boolean }>(
      'SELECT current_database() AS db, to_regclass($1) IS NOT NULL AS present',
      [table],
    );
    const row = rows[0];
    progress.report(
      'ok',
      `database ${row?.db} answers; ${
        row?.present
          ? `offsets table ${table} exists`
          : `offsets table ${table} does not exist yet: the sink creates it on first use (it needs CREATE on the schema)`
      }`,
    );
  } finally {
    progress.signal.removeEventListener('abort', close);
    close();
  }
}
