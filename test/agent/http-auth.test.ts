import { get, type IncomingHttpHeaders } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { agentHttpOptions } from '../../src/agent/agent-http.js';
import type { AgentConfig } from '../../src/agent/config.js';
import { isLoopbackHost } from '../../src/agent/http-auth.js';
import { AgentHttpServer } from '../../src/agent/http-server.js';
import { StreamingContext } from '../../src/index.js';
import { MetricsRegistry } from '../../src/telemetry/metrics-registry.js';
import { runCli } from '../support/cli-process.js';

const TOKEN = 'test-token-0123456789abcdef';

let servers: AgentHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function fetchRaw(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

async function start(token?: string): Promise<AgentHttpServer> {
  const server = await AgentHttpServer.start({
    address: { host: '127.0.0.1', port: 0 },
    metrics: new MetricsRegistry('t'),
    source: { ready: true, recentBatches: () => [] },
    status: () => ({ app: 't' }),
    ...(token === undefined ? {} : { token }),
  });
  servers.push(server);
  return server;
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('HTTP token', () => {
  it('refuses /, /api/status and /api/batches without the right token, with a challenge', async () => {
    const server = await start(TOKEN);
    for (const path of ['/', '/api/status', '/api/batches', '/api/batches?limit=1', '/api/nothing']) {
      for (const headers of [
        {} as Record<string, string>,
        { Authorization: 'Bearer wrong-token' },
        { Authorization: `Bearer ${TOKEN}x` },
        { Authorization: basic('ops', 'wrong') },
        { Authorization: TOKEN },
        { Authorization: `Token ${TOKEN}` },
      ]) {
        const r = await fetchRaw(`${server.url}${path}`, headers);
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.body).not.toContain('<html');
        expect(r.body).toContain('Authorization: Bearer <token>');
      }
    }
    const r = await fetchRaw(`${server.url}/`);
    // Node's client joins the two challenge headers with ', '.
    expect(r.headers['www-authenticate']).toMatch(/^Basic realm="sidestream".*, Bearer realm="sidestream"$/);
  });

  it('allows them with the token as a bearer token or as a Basic password', async () => {
    const server = await start(TOKEN);
    for (const auth of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, basic('ops', TOKEN), basic('', TOKEN)]) {
      expect((await fetchRaw(`${server.url}/api/status`, { Authorization: auth })).status).toBe(200);
      expect((await fetchRaw(`${server.url}/api/batches`, { Authorization: auth })).status).toBe(200);
      const page = await fetchRaw(`${server.url}/`, { Authorization: auth });
      expect(page.status).toBe(200);
      expect(page.body).toContain('<!doctype html>');
    }
  });

  it('sidestream status sends SIDESTREAM_HTTP_TOKEN, and says so when it is missing', async () => {
    const server = await start(TOKEN);
    const http = `127.0.0.1:${server.address.port}`;
    const ok = await runCli(['status', '--http', http], { env: { SIDESTREAM_HTTP_TOKEN: TOKEN } });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const refused = await runCli(['status', '--http', http]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('wants its HTTP token; set SIDESTREAM_HTTP_TOKEN');
  });

  it('sidestream status says when the agent refuses its token, and refuses a token no request can carry', async () => {
    const server = await start(TOKEN);
    const http = `127.0.0.1:${server.address.port}`;
    const wrong = await runCli(['status', '--http', http], {
      env: { SIDESTREAM_HTTP_TOKEN: 'another-token-0123456789abcdef' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `[SS_CONFIG_INVALID]: SIDESTREAM_HTTP_TOKEN: the agent at http://${http}/api/batches?limit=10 refused this token (HTTP 401): it does not match the agent's httpToken`,
    );
    expect(wrong.stderr).not.toContain('is it running');
    expect(wrong.stderr).not.toContain('another-token');

    // A secret made with echo: refused before it is sent, not reported as an unreachable agent.
    const newline = await runCli(['status', '--http', http], {
      env: { SIDESTREAM_HTTP_TOKEN: `${TOKEN}\n` },
    });
    expect(newline.code).toBe(1);
    expect(newline.stderr).toContain(
      '[SS_CONFIG_INVALID]: SIDESTREAM_HTTP_TOKEN: has whitespace or a line break',
    );
    expect(newline.stderr).toContain('printf %s');
    expect(newline.stderr).not.toContain('is it running');
    expect(newline.stderr).not.toContain(TOKEN);

    for (const value of ['', '   ']) {
      const blank = await runCli(['status', '--http', http], { env: { SIDESTREAM_HTTP_TOKEN: value } });
      expect(blank.code, JSON.stringify(value)).toBe(1);
      expect(blank.stderr).toMatch(
        /\[SS_CONFIG_INVALID\]: SIDESTREAM_HTTP_TOKEN: is (set but empty|only whitespace)/,
      );
    }
  });

  it('an agent refuses to start with a token no request can carry, or an empty token variable', async () => {
    for (const value of [`${TOKEN}\n`, ' ', '']) {
      const r = await runCli(['validate', '--http', '0.0.0.0:9464'], {
        env: { SIDESTREAM_HTTP_TOKEN: value },
      });
      expect(r.code, JSON.stringify(value)).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /\[SS_CONFIG_INVALID\]: SIDESTREAM_HTTP_TOKEN: (has whitespace|is only whitespace|is set but empty)/,
      );
    }
  });

  it('keeps /metrics, /healthz and /readyz open for scrapers and probes', async () => {
    const server = await start(TOKEN);
    for (const path of ['/metrics', '/healthz', '/readyz'])
      expect((await fetchRaw(`${server.url}${path}`)).status, path).toBe(200);
  });

  it('/readyz stays open but, with a token set, shows its reasons (names, errors) only with the token', async () => {
    const server = await AgentHttpServer.start({
      address: { host: '127.0.0.1', port: 0 },
      metrics: new MetricsRegistry('t'),
      source: {
        ready: false,
        readiness: { ready: false, reasons: ['input socket:db-7.internal:9999 is not connected: refused'] },
        recentBatches: () => [],
      },
      token: TOKEN,
    });
    servers.push(server);
    const anonymous = await fetchRaw(`${server.url}/readyz`);
    expect(anonymous.status).toBe(503);
    expect(anonymous.body).toBe('not ready\n1 reason, shown with the agent token (or in GET /api/status)\n');
    const withToken = await fetchRaw(`${server.url}/readyz`, { Authorization: `Bearer ${TOKEN}` });
    expect(withToken.status).toBe(503);
    expect(withToken.body).toBe('not ready\ninput socket:db-7.internal:9999 is not connected: refused\n');
  });

  it('without a token everything is open; the page comes with a strict CSP', async () => {
    const server = await start();
    expect((await fetchRaw(`${server.url}/api/status`)).status).toBe(200);
    const page = await fetchRaw(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
    expect(page.body).toContain(`<script nonce="${nonce}">`);
    // Nothing is loaded from anywhere: no src= or href= to another origin.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    // A new nonce per response.
    const again = await fetchRaw(`${server.url}/`);
    expect(again.headers['content-security-policy']).not.toBe(csp);
  });
});

describe('isLoopbackHost', () => {
  it('tells loopback from reachable addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'agent.example.com', '::ffff:10.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('agentHttpOptions', () => {
  const config = (host: string, httpToken?: string): AgentConfig => ({
    app: 't',
    batchIntervalMs: 1000,
    checkpointDir: undefined,
    checkpointIntervalMs: undefined,
    allowJobChange: false,
    supervise: false,
    restartBudget: 5,
    restartWindowMs: 600_000,
    http: { host, port: 9464 },
    batchLogPath: undefined,
    onBatchFailure: 'stop',
    maxTaskFailures: 4,
    shutdownTimeoutMs: 10_000,
    jobLoadTimeoutMs: 60_000,
    defaultParallelism: undefined,
    executors: 0,
    ...(httpToken === undefined ? {} : { httpToken }),
  });

  it('warns loudly about a non-loopback address without a token, and only then', () => {
    const cases: [string, string | undefined, boolean][] = [
      ['0.0.0.0', undefined, true],
      ['10.1.2.3', undefined, true],
      ['0.0.0.0', TOKEN, false],
      ['127.0.0.1', undefined, false],
      ['::1', undefined, false],
    ];
    for (const [host, token, warned] of cases) {
      const warnings: string[] = [];
      const ssc = new StreamingContext({ appName: 't', batchIntervalMs: 1000 });
      const options = agentHttpOptions({
        config: config(host, token),
        ssc,
        version: '0.0.0',
        metrics: new MetricsRegistry('t'),
        warn: (m) => warnings.push(m),
      });
      expect(warnings.length, `${host} ${token}`).toBe(warned ? 1 : 0);
      if (warned) {
        expect(warnings[0]).toMatch(/^WARNING: /);
        expect(warnings[0]).toContain('SIDESTREAM_HTTP_TOKEN');
      }
      expect(options.token).toBe(token);
    }
  });
});
