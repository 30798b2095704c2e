/**
 * The kind of a setting written as a mapping in the file (`graphite: {url, prefix, ...}`): its
 * keys are rows of their own (NestedSetting), a plain string stands for its shorthand key (the
 * URL, which is also what the flag and the variable give), and unknown keys are refused.
 */
import * as z from 'zod';
import type { NestedSetting, ValueKind } from './setting.js';
import { showValue as show } from './show-value.js';

type Fields = Readonly<Record<string, NestedSetting>>;
type Output<S extends NestedSetting> = z.output<S['value']['schema']>;
type RequiredKey<F extends Fields> = { [K in keyof F]: F[K] extends { required: true } ? K : never }[keyof F];

/** What the mapping's keys parse to: required keys present, the others optional. */
export type ParsedMapping<F extends Fields> = { [K in RequiredKey<F>]: Output<F[K]> } & {
  [K in Exclude<keyof F, RequiredKey<F>>]?: Output<F[K]>;
};

export function mapping<const F extends Fields, T>(options: {
  readonly fields: F;
  /** The key a plain string sets: `graphite: tcp://carbon:2003` is `graphite: {url: ...}`. */
  readonly shorthand: keyof F & string;
  /** The shorthand's form in messages: `tcp://HOST:PORT, udp://HOST:PORT`. */
  readonly shorthandForm: string;
  /** The form in docs/configuration.md. */
  readonly form: string;
  /** The parsed keys in AgentConfig's shape. */
  readonly toConfig: (parsed: ParsedMapping<F>) => T;
}): ValueKind<T> {
  const { fields, shorthand } = options;
  const entries = Object.entries(fields);
  const required = entries.filter(([, f]) => f.required === true).map(([k]) => k);
  const optional = entries.filter(([, f]) => f.required !== true).map(([k]) => k);
  const shape = Object.fromEntries(
    entries.map(([k, f]) => [k, f.required === true ? f.value.schema : f.value.schema.optional()]),
  );
  const expected =
    `${options.shorthandForm} or a mapping with ${required.join(', ')}` +
    (optional.length > 0 ? ` (and optional ${optional.join(', ')})` : '');
  const schema = z.preprocess(
    (input) => (typeof input === 'string' ? { [shorthand]: input } : input),
    z
      .strictObject(shape, {
        error: (iss) => (iss.code === 'invalid_type' ? `${show(iss.input)} must be ${expected}` : undefined),
      })
      // The shape above was built from F's own kinds, required keys without .optional().
      .transform((parsed) => options.toConfig(parsed as ParsedMapping<F>)),
  );
  return { schema, form: options.form, fields };
}
