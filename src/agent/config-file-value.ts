/**
 * The plain value of the configuration file's YAML document, or the SS_CONFIG_INVALID problem
 * that stops it, naming the file and the fix. Aliases are where YAML turns hostile: yaml refuses
 * an alias bomb (a few lines whose aliases expand to millions of values) and an alias without an
 * anchor by throwing, and an alias inside its own anchor (`a: &x [*x]`) yields a value that
 * contains itself, which no setting accepts and no message could quote.
 */
import type { Document } from 'yaml';
import { describeError, SidestreamError } from '../errors.js';

export type ConfigFileValue =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: SidestreamError };

/** yaml's message for a document whose aliases expand past its maxAliasCount. */
const ALIAS_BOMB = /excessive alias count/i;

export function configFileValue(doc: Document, file: string): ConfigFileValue {
  let value: unknown;
  try {
    value = doc.toJS();
    if (containsItself(value, new Set())) {
      return invalid(
        `${file}: an alias is used inside its own anchor, so the value never ends; write the value out instead`,
      );
    }
  } catch (error) {
    if (error instanceof Error && ALIAS_BOMB.test(error.message)) {
      return invalid(
        `${file}: its aliases expand to too many values (the shape of a YAML alias bomb); ` +
          'write the values out instead of through anchors and aliases',
        error,
      );
    }
    const what = describeError(error).split('\n')[0];
    return invalid(`${file}: ${what}; fix the YAML there`, error);
  }
  return { ok: true, value };
}

function invalid(message: string, cause?: unknown): ConfigFileValue {
  return {
    ok: false,
    problem: new SidestreamError('SS_CONFIG_INVALID', message, cause === undefined ? undefined : { cause }),
  };
}

/** True when an object or array is reachable from itself (only an alias can make one). */
function containsItself(value: unknown, path: Set<object>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (path.has(value)) return true;
  path.add(value);
  const children =
    value instanceof Map
      ? [...value.keys(), ...value.values()]
      : value instanceof Set
        ? [...value]
        : Object.values(value);
  const found = children.some((child) => containsItself(child, path));
  path.delete(value);
  return found;
}
