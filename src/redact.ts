/**
 * Secret redaction, a root leaf so that every module that shows or writes something can apply
 * the same rules: the agent (GET /api/status, /api/batches, the status page, its log, the
 * messages that echo a configured value, the configuration a checkpoint records) and the batch
 * log (telemetry/batch-log-writer.ts). Two rules, applied everywhere: a key that names a secret
 * (password, secret, token, sasl, credentials, api key, ...) keeps only the fact that it is set,
 * and a URL keeps its scheme, host, port and path but never its user-info
 * (`postgres://user:pass@db` becomes `postgres://[redacted]@db`) nor the values of secret-named
 * query parameters.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets, in any case and with any separators: `sasl`, `httpToken`, `db_password`. */
const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|sasl|credential|api[-_]?key|private[-_]?key|auth/i;

/** `scheme://user-info@`: anything up to the first `@` before the host, without `/`, `?` or `#`. */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi;

/** A query parameter whose name is a secret key: `?password=x`, `&sslpassword=x`, `&api_key=x`. */
const SECRET_QUERY =
  /([?&;][^=&#\s]*?(?:pass(?:word|wd)?|secret|token|sasl|credential|api[-_]?key)[^=&#\s]*=)[^&#\s]*/gi;

/** True when a value stored under `key` must never be shown. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** The text with every URL's user-info and every secret query parameter value replaced. */
export function redactText(text: string): string {
  return text.replace(URL_USER_INFO, `$1${REDACTED}@`).replace(SECRET_QUERY, `$1${REDACTED}`);
}

/**
 * A deep copy of `value` that is safe to show: secret-named keys become `[redacted]` (or stay
 * absent/null when unset, so a reader can tell "not configured" from "hidden"), and every string
 * goes through redactText. Functions and symbols are dropped; cycles are cut.
 */
export function redactSecrets(value: unknown): unknown {
  return redact(value, new WeakSet());
}

function redact(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    out[key] = isSecretKey(key) && item !== null && item !== '' ? REDACTED : redact(item, seen);
  }
  return out;
}
