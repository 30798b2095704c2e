/**
 * The PostgreSQL fixture of the tests against the real database: one client for a describe
 * block, connected before its first test and ended after its last.
 */
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { newPgClient } from './services.js';

/** Call inside the describe block (it registers beforeAll and afterAll hooks there). */
export function connectedPgClient(): pg.Client {
  const client = newPgClient();
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });
  return client;
}
