/**
 * The agent's HTTP endpoint on node:http: /metrics for scrapers, /healthz and /readyz for
 * orchestrators, /api/batches and /api/status for people and `sidestream status`, and the status
 * page / (status-page/). It only reads: nothing here can change the running context. With a
 * token (http-auth.ts), / and /api/* answer 401 to requests that do not carry it.
 *
 * It routes on the path exactly as the client sent it (request-target.ts): a malformed target
 * answers 400, an overlong one 414, and a path that is not one of the endpoints' own spellings
 * 404. Whatever a client sends, the answer is a well-formed HTTP response, never a 500 for the
 * request's own shape (docs/security.md lists the statuses).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SidestreamError } from '../errors.js';
import type { CompletedBatchRecord } from '../events/index.js';
import { redactSecrets, redactText } from '../redact.js';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import type { HttpAddress } from './config.js';
import { AUTH_CHALLENGES, hasToken, isGuardedPath } from './http-auth.js';
import { MAX_REQUEST_TARGET_LENGTH, parseRequestTarget } from './request-target.js';
import { statusPageResponse } from './status-page/page.js';

/** What the endpoints read from the StreamingContext. */
export interface HttpSource {
  readonly ready: boolean;
  /** Readiness with every reason it fails (StreamingEngine.readiness); absent: `ready` alone. */
  readonly readiness?: { readonly ready: boolean; readonly reasons: readonly string[] };
  recentBatches(limit?: number): CompletedBatchRecord[];
}

export interface AgentHttpServerOptions {
  readonly address: HttpAddress;
  readonly metrics: MetricsRegistry;
  readonly source: HttpSource;
  /** GET /api/status (agent-status.ts); without it / and /api/status answer 404. */
  readonly status?: () => unknown;
  /** When set, / and /api/* require it (http-auth.ts). */
  readonly token?: string;
}

const DEFAULT_BATCH_LIMIT = 100;
const PATHS = ['/metrics', '/healthz', '/readyz', '/api/batches', '/api/status', '/'];

export class AgentHttpServer {
  private isStopping = false;

  private constructor(
    private readonly server: Server,
    private readonly options: AgentHttpServerOptions,
  ) {}

  /** Listens on the address; rejects with SS_HTTP_BIND_FAILED naming the address and the fix. */
  static async start(options: AgentHttpServerOptions): Promise<AgentHttpServer> {
    const server = createServer();
    const agent = new AgentHttpServer(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      agent.handle(req, res).catch((error: unknown) => {
        // A failing scrape must not take the agent down; report it to the client only.
        if (!res.headersSent) sendJson(res, 500, { error: String(error) });
        else res.destroy();
      });
    });
    // Without a listener Node drops a CONNECT request's connection without an answer. The socket
    // is ours from here on, its errors too: Node no longer listens for them, and an unheard one
    // would take the process down.
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
      socket.on('error', () => socket.destroy());
      const body = `${JSON.stringify({ error: 'CONNECT is not supported; use GET' })}\n`;
      socket.end(
        'HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n' +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    const { host, port } = options.address;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          new SidestreamError('SS_HTTP_BIND_FAILED', bindFailure(`${formatHost(host)}:${port}`, error), {
            cause: error,
          }),
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    return agent;
  }

  /** The bound address (the real port when 0 was asked for). */
  get address(): HttpAddress {
    const info = this.server.address() as AddressInfo;
    return { host: this.options.address.host, port: info.port };
  }

  get url(): string {
    return `http://${formatHost(this.address.host)}:${this.address.port}`;
  }

  /** From now on /healthz and /readyz answer 503, so orchestrators stop sending work. */
  markStopping(): void {
    this.isStopping = true;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections from scrapers would otherwise hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  /**
   * Ready unless stopping and while the source is; every reason otherwise, redacted: the
   * endpoint is open to probes, and a reason may quote an input's error.
   */
  private readiness(): { ready: boolean; reasons: string[] } {
    const { source } = this.options;
    const given = source.readiness ?? { ready: source.ready, reasons: source.ready ? [] : ['not ready'] };
    const reasons = [...(this.isStopping ? ['the agent is stopping'] : []), ...given.reasons];
    return { ready: !this.isStopping && given.ready, reasons: reasons.map(redactText) };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    if (raw.length > MAX_REQUEST_TARGET_LENGTH) {
      sendJson(res, 414, {
        error: `the request target is longer than ${MAX_REQUEST_TARGET_LENGTH} characters`,
      });
      return;
    }
    if (raw === '*' && req.method === 'OPTIONS') {
      // The one method the asterisk-form is valid with (RFC 9112, 3.2.4), and it is not served.
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'OPTIONS is not supported; use GET' });
      return;
    }
    const target = parseRequestTarget(raw);
    if (target === undefined) {
      // Not echoed: a malformed target is whatever bytes the client chose.
      sendJson(res, 400, { error: 'malformed request target; send a path, for example GET /metrics' });
      return;
    }
    const { path } = target;
    const token = this.options.token;
    if (token !== undefined && isGuardedPath(path) && !hasToken(req, token)) {
      res.setHeader('WWW-Authenticate', AUTH_CHALLENGES);
      sendJson(res, 401, {
        error:
          'this endpoint needs the agent token: send Authorization: Bearer <token> (see docs/deployment.md)',
      });
      return;
    }
    const status = this.options.status;
    if (!PATHS.includes(path) || (!status && (path === '/' || path === '/api/status'))) {
      sendJson(res, 404, { error: `no such endpoint ${path}`, endpoints: PATHS });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: `${req.method} is not supported; use GET` });
      return;
    }
    switch (path) {
      case '/metrics': {
        const { contentType, body } = await this.options.metrics.render(req.headers.accept);
        res.writeHead(200, { 'Content-Type': contentType });
        res.end(body);
        return;
      }
      case '/healthz':
        sendJson(res, this.isStopping ? 503 : 200, { status: this.isStopping ? 'stopping' : 'alive' });
        return;
      case '/readyz': {
        // Plain text for people and probes alike: `ready`, or `not ready` and one reason a line.
        // The path stays open for probes; with a token set, the reasons (input names, errors) are
        // for those who send it, as on /api/status.
        const { ready, reasons } = this.readiness();
        const shown =
          token === undefined || hasToken(req, token)
            ? reasons
            : [
                `${reasons.length} ${reasons.length === 1 ? 'reason' : 'reasons'}, shown with the agent token (or in GET /api/status)`,
              ];
        res.writeHead(ready ? 200 : 503, {
          'Content-Type': 'text/plain; charset=utf-8',
          'Cache-Control': 'no-store',
        });
        res.end(ready ? 'ready\n' : ['not ready', ...shown].map((line) => `${line}\n`).join(''));
        return;
      }
      case '/api/batches': {
        const given = new URLSearchParams(target.query).get('limit');
        const limit = given === null ? DEFAULT_BATCH_LIMIT : Number(given);
        if (!Number.isInteger(limit) || limit < 1) {
          sendJson(res, 400, {
            error: `limit must be a whole number >= 1 (got '${given}'); for example ?limit=10`,
          });
          return;
        }
        // Failure reasons are error messages, which may quote a connection URL with its password.
        sendJson(res, 200, redactSecrets(this.options.source.recentBatches(limit)));
        return;
      }
      case '/api/status':
        // Without a status source this path answered 404 above.
        if (!status) throw new Error('/api/status reached without a status source');
        sendJson(res, 200, status());
        return;
      case '/': {
        const page = statusPageResponse();
        res.writeHead(200, page.headers);
        res.end(req.method === 'HEAD' ? undefined : page.body);
        return;
      }
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body)}\n`);
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function bindFailure(address: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${address}: the address is already in use; stop the other process or pick another port with --http HOST:PORT`;
    case 'EACCES':
      return `cannot listen on ${address}: permission denied; use a port above 1023 with --http HOST:PORT`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `cannot listen on ${address}: the host is not an address of this machine; use --http 127.0.0.1:PORT or 0.0.0.0:PORT`;
    default:
      return `cannot listen on ${address}: ${error.message}; pick another address with --http HOST:PORT`;
  }
}
