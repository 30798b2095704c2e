import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHttpServer, type HttpSource } from '../../src/agent/http-server.js';
import type { CompletedBatchRecord } from '../../src/index.js';
import { isSidestreamError } from '../../src/index.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { httpGet } from '../support/cli-process.js';

let servers: AgentHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function batch(batchTime: number): CompletedBatchRecord {
  return {
    app: 't',
    batchTime,
    submissionTime: batchTime,
    processingStartTime: batchTime,
    processingEndTime: batchTime + 5,
    schedulingDelayMs: 0,
    processingDelayMs: 5,
    totalDelayMs: 5,
    numRecords: 1,
    outcome: 'succeeded',
    inputs: [],
    outputOperations: [],
    tasks: { total: 1, failed: 0, retried: 0 },
  };
}

async function start(source: HttpSource, port = 0): Promise<AgentHttpServer> {
  const server = await AgentHttpServer.start({
    address: { host: '127.0.0.1', port },
    metrics: new MetricsRegistry('t'),
    source,
  });
  servers.push(server);
  return server;
}

describe('AgentHttpServer', () => {
  it('answers readiness from the source and health from its own stopping flag', async () => {
    const source = {
      ready: false,
      recentBatches: (limit = 100) => [batch(3000), batch(2000), batch(1000)].slice(0, limit),
    };
    const server = await start(source);
    expect((await httpGet(`${server.url}/readyz`)).status).toBe(503);
    source.ready = true;
    expect((await httpGet(`${server.url}/readyz`)).status).toBe(200);
    expect((await httpGet(`${server.url}/healthz`)).status).toBe(200);

    const two = JSON.parse(
      (await httpGet(`${server.url}/api/batches?limit=2`)).body,
    ) as CompletedBatchRecord[];
    expect(two.map((b) => b.batchTime)).toEqual([3000, 2000]);

    server.markStopping();
    expect((await httpGet(`${server.url}/healthz`)).status).toBe(503);
    expect((await httpGet(`${server.url}/readyz`)).status).toBe(503);
  });

  it('refuses other methods on known paths', async () => {
    const server = await start({ ready: true, recentBatches: () => [] });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/metrics`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
  });

  it('fails to bind with SS_HTTP_BIND_FAILED naming the address and the fix', async () => {
    const first = await start({ ready: true, recentBatches: () => [] });
    const error = await start({ ready: true, recentBatches: () => [] }, first.address.port).catch(
      (e: unknown) => e,
    );
    expect(isSidestreamError(error, 'SS_HTTP_BIND_FAILED')).toBe(true);
    expect((error as Error).message).toContain(
      `127.0.0.1:${first.address.port}: the address is already in use`,
    );
    expect((error as Error).message).toContain('--http HOST:PORT');
  });
});
