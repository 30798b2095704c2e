/**
 * `sidestream status`: asks a running agent for its recent batches over HTTP and prints them as
 * a table. It is a plain client of GET /api/batches; nothing here touches a context.
 */
import { get } from 'node:http';
import { describeError, SidestreamError } from '../errors.js';
import type { CompletedBatchRecord } from '../events/index.js';
import { formatBatchTable } from './batch-table.js';
import { httpToken } from './config/value-kinds.js';
import type { HttpAddress } from './config.js';

const TIMEOUT_MS = 5000;

const TOKEN_ENV = 'SIDESTREAM_HTTP_TOKEN';

/** The token to send: undefined when unset; refused as the agent's configuration would refuse it. */
function tokenFromEnv(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[TOKEN_ENV];
  if (value === undefined) return undefined;
  const parsed = httpToken.schema.safeParse(value);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => i.message).join('; ');
    throw new SidestreamError('SS_CONFIG_INVALID', `${TOKEN_ENV}: ${why}`);
  }
  return parsed.data;
}

export async function fetchRecentBatches(
  address: HttpAddress,
  limit: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<CompletedBatchRecord[]> {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${address.port}/api/batches?limit=${limit}`;
  // An agent with a token (http-auth.ts) wants it on /api/*: the same variable it reads, under
  // the same rules, so a token the agent would refuse is not sent (a newline in it would not even
  // make a valid header, and the request would fail as if nothing listened).
  const token = tokenFromEnv(env);
  let answer: { status: number; body: string };
  try {
    answer = await getText(url, token === undefined ? {} : { Authorization: `Bearer ${token}` });
  } catch (error) {
    throw new SidestreamError(
      'SS_AGENT_UNREACHABLE',
      `cannot reach the agent at ${url} (${describeError(error)}); is it running? pass its address with --http HOST:PORT`,
      { cause: error },
    );
  }
  if (answer.status === 401 && token !== undefined) {
    throw new SidestreamError(
      'SS_CONFIG_INVALID',
      `${TOKEN_ENV}: the agent at ${url} refused this token (HTTP 401): it does not match the agent's ` +
        `httpToken; set ${TOKEN_ENV} to the agent's token (the value is not shown)`,
    );
  }
  if (answer.status === 401) {
    throw new SidestreamError(
      'SS_AGENT_UNREACHABLE',
      `the agent at ${url} wants its HTTP token; set ${TOKEN_ENV} to the agent's token`,
    );
  }
  if (answer.status !== 200) {
    throw new SidestreamError(
      'SS_AGENT_UNREACHABLE',
      `the agent at ${url} answered HTTP ${answer.status}; check that --http points at a sidestream agent`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  if (!Array.isArray(body)) {
    throw new SidestreamError(
      'SS_AGENT_UNREACHABLE',
      `${url} did not return a list of batches; check that --http points at a sidestream agent`,
    );
  }
  return body as CompletedBatchRecord[];
}

/**
 * node:http rather than fetch: fetch refuses the "bad ports" of the Fetch standard (6000, 6667,
 * ...), and an agent may well listen on one of them.
 */
function getText(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: TIMEOUT_MS, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
  });
}

export async function runStatus(address: HttpAddress, limit: number): Promise<void> {
  process.stdout.write(formatBatchTable(await fetchRecentBatches(address, limit)));
}
