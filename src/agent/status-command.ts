/**
 * `sidestream status`: asks a running agent for its recent batches over HTTP and prints them as
 * a table. It is a plain client of GET /api/batches; nothing here touches a context.
 */
import { get } from 'node:http';
import { describeError, SidestreamError } from '../errors.js';
import type { CompletedBatchRecord } from '../events/index.js';
import { formatBatchTable } from './batch-table.js';
import type { HttpAddress } from './config.js';

const TIMEOUT_MS = 5000;

export async function fetchRecentBatches(
  address: HttpAddress,
  limit: number,
): Promise<CompletedBatchRecord[]> {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${address.port}/api/batches?limit=${limit}`;
  let answer: { status: number; body: string };
  try {
    // An agent with a token (http-auth.ts) wants it on /api/*: the same variable it reads.
    const token = process.env.SIDESTREAM_HTTP_TOKEN;
    answer = await getText(url, token ? { Authorization: `Bearer ${token}` } : {});
  } catch (error) {
    throw new SidestreamError(
      'SS_AGENT_UNREACHABLE',
      `cannot reach the agent at ${url} (${describeError(error)}); is it running? pass its address with --http HOST:PORT`,
      { cause: error },
    );
  }
  if (answer.status === 401) {
    throw new SidestreamError(
      'SS_AGENT_UNREACHABLE',
      `the agent at ${url} wants its HTTP token; set SIDESTREAM_HTTP_TOKEN to the agent's token`,
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
