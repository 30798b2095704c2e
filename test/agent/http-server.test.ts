import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentHttpServer, type HttpSource } from '../../src/agent/http-server.js';
import type { CompletedBatchRecord } from '../../src/index.js';
import { isSidestreamError } from '../../src/index.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { httpGet } from '../support/cli-process.js';
import { rawRequest } from '../support/raw-http.js';

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
    generationDelayMs: 0,
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

  it('/readyz: plain text, `ready`, or `not ready` and every reason a line, redacted; stopping first', async () => {
    const source: {
      ready: boolean;
      readiness: { ready: boolean; reasons: string[] };
      recentBatches: () => CompletedBatchRecord[];
    } = {
      ready: false,
      readiness: {
        ready: false,
        reasons: [
          'input socket:h:1 is not connected: connect ECONNREFUSED h:1',
          'batch 2026-01-01T00:00:00.000Z is overdue: not generated 24.6 s after its time, waiting for input kafka:events (tcp://u:secret@b:9092)',
        ],
      },
      recentBatches: () => [],
    };
    const server = await start(source);
    const notReady = await httpGet(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.contentType).toBe('text/plain; charset=utf-8');
    expect(notReady.body).toBe(
      'not ready\n' +
        'input socket:h:1 is not connected: connect ECONNREFUSED h:1\n' +
        'batch 2026-01-01T00:00:00.000Z is overdue: not generated 24.6 s after its time, waiting for input kafka:events (tcp://[redacted]@b:9092)\n',
    );
    source.ready = true;
    source.readiness = { ready: true, reasons: [] };
    const ready = await httpGet(`${server.url}/readyz`);
    expect([ready.status, ready.body]).toEqual([200, 'ready\n']);
    server.markStopping();
    const stopping = await httpGet(`${server.url}/readyz`);
    expect([stopping.status, stopping.body]).toEqual([503, 'not ready\nthe agent is stopping\n']);
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

describe('AgentHttpServer request targets', () => {
  const TOKEN = 'test-token-0123456789abcdef';
  const auth = `Authorization: Bearer ${TOKEN}`;

  async function startGuarded(): Promise<AgentHttpServer> {
    const server = await AgentHttpServer.start({
      address: { host: '127.0.0.1', port: 0 },
      metrics: new MetricsRegistry('t'),
      source: { ready: true, recentBatches: () => [batch(1000)] },
      status: () => ({ app: 't' }),
      token: TOKEN,
    });
    servers.push(server);
    return server;
  }

  it('answers a malformed target 400 and keeps serving', async () => {
    const server = await startGuarded();
    const { port } = server.address;
    // Targets Node's parser lets through, which the agent itself refuses.
    for (const target of ['http://[::1/healthz', 'http://a:99999/healthz', 'http:///healthz', '*']) {
      const r = await rawRequest(port, `GET ${target} HTTP/1.1`);
      expect(r.status, target).toBe(400);
      expect(JSON.parse(r.body).error, target).toMatch(/^malformed request target/);
    }
    // Ones Node's parser refuses before the agent sees them.
    for (const target of ['healthz', 'http://a b/healthz', 'http://a#x']) {
      expect((await rawRequest(port, `GET ${target} HTTP/1.1`)).status, target).toBe(400);
    }
    expect((await rawRequest(port, 'GET /healthz HTTP/1.1')).status).toBe(200);
  });

  it('routes on the path as sent: no resolving, normalising or decoding', async () => {
    const server = await startGuarded();
    const { port } = server.address;
    // Each of these used to be served as another endpoint; now none names one.
    for (const target of [
      '//x/api/status',
      '//x/metrics',
      '/metrics/../api/status',
      '/./api/status',
      '/%2e%2e/metrics',
      '/api/%73tatus',
      '/%61pi/status',
      '/healthz/',
      '/healthz#x',
    ]) {
      const r = await rawRequest(port, `GET ${target} HTTP/1.1`, ['Host: agent', auth]);
      expect(r.status, target).toBe(404);
      expect(JSON.parse(r.body).error, target).toBe(`no such endpoint ${target}`);
    }
    // A path under /api/ needs the token whatever follows; nothing is served without it.
    expect((await rawRequest(port, 'GET /api/%73tatus HTTP/1.1')).status).toBe(401);
    expect((await rawRequest(port, 'GET //x/api/status HTTP/1.1')).status).toBe(404);
    // The query is split off at the first '?' and is not part of the path.
    const two = await rawRequest(port, 'GET /api/batches?limit=1 HTTP/1.1', ['Host: agent', auth]);
    expect(two.status).toBe(200);
    expect(JSON.parse(two.body)).toHaveLength(1);
    expect(
      (await rawRequest(port, 'GET /api/status?x=/../metrics HTTP/1.1', ['Host: agent', auth])).status,
    ).toBe(200);
  });

  it('serves an absolute-form target by the path after its authority, as sent', async () => {
    const server = await startGuarded();
    const { port } = server.address;
    expect((await rawRequest(port, `GET http://127.0.0.1:${port}/healthz HTTP/1.1`)).status).toBe(200);
    expect((await rawRequest(port, 'GET HTTP://agent/readyz?x=1 HTTP/1.1')).status).toBe(200);
    expect(
      (await rawRequest(port, 'GET http://agent/metrics/../api/status HTTP/1.1', ['Host: agent', auth]))
        .status,
    ).toBe(404);
    expect((await rawRequest(port, 'GET http://agent/api/status HTTP/1.1')).status).toBe(401);
  });

  it('answers an overlong target 414, CONNECT and OPTIONS * 405, and keeps serving', async () => {
    const server = await startGuarded();
    const { port } = server.address;
    expect((await rawRequest(port, `GET /${'a'.repeat(9000)} HTTP/1.1`)).status).toBe(414);
    const connect = await rawRequest(port, `CONNECT 127.0.0.1:${port} HTTP/1.1`);
    expect(connect.status).toBe(405);
    expect(connect.headers.allow).toBe('GET, HEAD');
    const options = await rawRequest(port, 'OPTIONS * HTTP/1.1');
    expect(options.status).toBe(405);
    expect(options.headers.allow).toBe('GET, HEAD');
    expect((await rawRequest(port, 'GET /healthz HTTP/1.1')).status).toBe(200);
  });
});
