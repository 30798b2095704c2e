/**
 * `validate --connect` for the `pushgateway` setting: GET `<url>/-/ready`, the Pushgateway's
 * readiness endpoint, under the URL's path prefix. node:http rather than fetch: fetch refuses a
 * URL with user-info, and a gateway behind basic auth is given as `http://user:pass@host:port`
 * (the credentials are sent, never shown).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { redactText } from '../../redact.js';
import type { CheckProgress, ConnectCheck } from './connect-check.js';

export function pushgatewayCheck(url: string): ConnectCheck {
  return { target: `pushgateway ${redactText(url)}`, service: 'the Pushgateway', run: (p) => ready(url, p) };
}

function ready(url: string, progress: CheckProgress): Promise<void> {
  const base = new URL(url);
  const readyUrl = new URL(`${base.pathname.replace(/\/+$/, '')}/-/ready`, base);
  const auth =
    base.username === ''
      ? undefined
      : `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
  progress.step(`GET ${readyUrl.pathname}`);
  const request = readyUrl.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: readyUrl.protocol,
        hostname: readyUrl.hostname.replace(/^\[|\]$/g, ''),
        port: readyUrl.port,
        path: readyUrl.pathname,
        method: 'GET',
        // No keep-alive: the check's socket closes with its answer.
        agent: false,
        signal: progress.signal,
        ...(auth === undefined ? {} : { auth }),
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status === 200) progress.report('ok', `ready (HTTP 200 from ${readyUrl.pathname})`);
        else progress.report('FAIL', answered(status, readyUrl.pathname));
        resolve();
      },
    );
    req.once('error', reject);
    req.end();
  });
}

/** A non-200 answer, with what it most likely means. */
function answered(status: number, path: string): string {
  if (status === 401 || status === 403)
    return `answered HTTP ${status} at ${path}; check the credentials in the URL (user:password@)`;
  if (status === 404)
    return `answered HTTP 404 at ${path}; is this a Pushgateway, and is the URL's path prefix its --web.route-prefix?`;
  if (status === 503)
    return `not ready (HTTP 503 at ${path}); it is starting or overloaded, try again shortly`;
  return `answered HTTP ${status} at ${path}, not 200; is this a Pushgateway?`;
}
