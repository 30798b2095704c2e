/**
 * How a configuration message quotes the value it refuses: the way the user wrote it, so
 * `show('0s')` is `'0s'`, but never with credentials (a URL's user:password@ is redacted).
 */
import { redactText } from '../../redact.js';

export function showValue(value: unknown): string {
  if (typeof value === 'string') return `'${redactText(value)}'`;
  if (value === null || value === undefined) return 'an empty value';
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}
