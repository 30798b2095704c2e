/**
 * The request target of an HTTP request, split the way the agent routes on it: the path exactly as
 * the client sent it and the query after the first `?`. Nothing is resolved against a base,
 * normalised or percent-decoded, so `//x/api/status`, `/metrics/../api/status` and `/api/%73tatus`
 * are paths of their own that no endpoint has (404): a proxy or firewall rule that matches the
 * path sees the very path the agent routes on, and a proxy that decodes or normalises before
 * matching sees a path the agent does not serve. Every endpoint's path is plain ASCII without
 * `%`, so nothing legitimate needs decoding.
 *
 * Accepted forms (RFC 9112, section 3.2): origin-form (`/metrics?x`) and absolute-form
 * (`http://host:9464/metrics`, which a server must accept; its path is what follows the
 * authority). Anything else (asterisk-form `*`, authority-form `host:443`, a relative path, an
 * absolute URL whose authority does not parse, another scheme) is malformed: 400.
 */

export interface RequestTarget {
  /** As sent; `/` for an absolute-form target without a path. */
  readonly path: string;
  /** After the first `?`, empty when there is none. */
  readonly query: string;
}

/** Longer targets answer 414; Node refuses a request line and headers over 16 KiB with 431 first. */
export const MAX_REQUEST_TARGET_LENGTH = 8192;

const ABSOLUTE_FORM = /^(https?:\/\/[^/?#]*)(.*)$/is;

/** The target's path and query; undefined when the target is malformed. */
export function parseRequestTarget(target: string): RequestTarget | undefined {
  if (target.startsWith('/')) return split(target);
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute === null) return undefined;
  const [, origin = '', rest = ''] = absolute;
  try {
    // Only the scheme and authority are checked; the path stays as sent.
    new URL(`${origin}/`);
  } catch {
    return undefined;
  }
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return undefined;
  return split(rest.startsWith('/') ? rest : `/${rest}`);
}

function split(target: string): RequestTarget {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}
