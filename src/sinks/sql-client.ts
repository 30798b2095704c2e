/**
 * The part of a PostgreSQL client the sinks hand to a job's `write` callback and take back in
 * UidDeduplicator: `query(text, values)` resolving to rows. pg's PoolClient and Client have it,
 * so jobs pass them as they are; being our own type, it keeps the package's public declarations
 * free of `pg`'s, which live in @types/pg, a package a job that never uses PostgreSQL should not
 * need to install for its `tsc` to pass.
 */
export interface SqlQueryResult<R> {
  readonly rows: R[];
  /** Rows changed or returned; null for commands that report none. */
  readonly rowCount: number | null;
}

export interface SqlClient {
  // biome-ignore lint/suspicious/noExplicitAny: pg's own default row type, so its clients fit.
  query<R extends Record<string, any> = Record<string, any>>(
    text: string,
    values?: unknown[],
  ): Promise<SqlQueryResult<R>>;
}
