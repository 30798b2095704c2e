/**
 * The optional HTTP token (config `httpToken`, `SIDESTREAM_HTTP_TOKEN`, `--http-token`). When set,
 * it guards the status page `/` and `/api/*`: the batch records and the status can name topics,
 * hosts and failure messages an operator may not want on an open port. `/metrics`, `/healthz`
 * and `/readyz` stay open, because Prometheus scrapers and kubelet probes cannot be expected to
 * carry it (protect them with a NetworkPolicy or by binding to loopback). See docs/deployment.md.
 *
 * Accepted: `Authorization: Bearer <token>` (curl, scripts, `sidestream status`) or HTTP Basic
 * with the token as the password and any user name, which is what a browser sends after it
 * prompts; the page's own requests then carry it automatically.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Paths the token guards: the page and the JSON API. */
export function isGuardedPath(pathname: string): boolean {
  return pathname === '/' || pathname.startsWith('/api/');
}

/** True when a request carries the token, as a bearer token or as a Basic password. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return false;
  const space = header.indexOf(' ');
  if (space < 0) return false;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return sameSecret(value, token);
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 && sameSecret(decoded.slice(colon + 1), token);
  }
  return false;
}

/** Constant-time comparison (of digests, so that lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The challenge a 401 carries: Basic first, so a browser prompts; Bearer for API clients. */
export const AUTH_CHALLENGES = ['Basic realm="sidestream", charset="UTF-8"', 'Bearer realm="sidestream"'];

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1, `localhost`. Anything else
 * (0.0.0.0, ::, a LAN address, a host name) is reachable from elsewhere.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) return true;
  return /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
