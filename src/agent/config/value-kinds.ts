/**
 * The kinds of value a setting can hold, each one zod schema used unchanged by every layer (the
 * YAML file gives numbers and booleans, flags and variables give strings) plus how
 * docs/configuration.md names it and its bounds. Messages say what was wrong and what to write
 * instead; the caller prefixes where the value came from (file key, variable or flag).
 */
import * as z from 'zod';
import type { FsyncPolicy } from '../../state/write-ahead-log.js';
import { type GraphiteTarget, parseGraphiteUrl } from '../../telemetry/exporters/graphite/graphite-target.js';
import { MAX_TIMER_DELAY_MS, parseDurationMs } from '../../time.js';
import { type HttpAddress, parseHttpAddress } from './http-address.js';
import type { ValueKind } from './setting.js';
import { showValue as show } from './show-value.js';

/** What a duration setting accepts: its example, whether 0 is allowed, and its longest value. */
export interface DurationBounds {
  /** Written into messages: `for example 1s`. */
  readonly example: string;
  readonly allowZero: boolean;
  /**
   * The longest value, written with a unit (`1h`); at most MAX_TIMER_DELAY_MS (24.8 days), since
   * every duration ends up in a timer, which would overflow and fire at once beyond it.
   */
  readonly max: string;
}

type ParsedDuration =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly kind: 'not-a-duration' | 'bad-duration'; readonly message: string };

const BARE_NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;

/** A duration's longest value in milliseconds, checked against what a timer can wait. */
function maxMs(bounds: DurationBounds): number {
  const ms = parseDurationMs(bounds.max, 'max');
  if (!Number.isInteger(ms) || ms <= 0 || ms > MAX_TIMER_DELAY_MS || BARE_NUMBER.test(bounds.max))
    throw new RangeError(
      `a duration's max must be a duration with a unit up to 24.8 days (got ${bounds.max})`,
    );
  return ms;
}

/**
 * One duration value of any layer, in whole milliseconds. A bare number (`10`, or `'10'` from a
 * flag or variable) is refused: it used to mean milliseconds, which nobody writing
 * `shutdownTimeout: 10` means.
 */
function parseDuration(input: unknown, bounds: DurationBounds, max: number): ParsedDuration {
  const notDuration = `${show(input)} is not a duration; write a number with a unit, for example ${bounds.example}`;
  if (typeof input !== 'string' && typeof input !== 'number')
    return { ok: false, kind: 'not-a-duration', message: notDuration };
  if ((typeof input === 'number' && input >= 0) || (typeof input === 'string' && BARE_NUMBER.test(input))) {
    const n = String(input).trim();
    return {
      ok: false,
      kind: 'bad-duration',
      message: `${show(input)} has no unit; write ${n}s (or ${n}ms if you meant milliseconds)`,
    };
  }
  let ms: number;
  try {
    ms = parseDurationMs(input, 'duration');
  } catch {
    return { ok: false, kind: 'not-a-duration', message: notDuration };
  }
  if (ms < 0 || (ms === 0 && !bounds.allowZero)) {
    const bound = bounds.allowZero ? '>= 0' : '> 0';
    return {
      ok: false,
      kind: 'bad-duration',
      message: `${show(input)} must be ${bound}; for example ${bounds.example}`,
    };
  }
  if (!Number.isInteger(ms)) {
    return {
      ok: false,
      kind: 'bad-duration',
      message: `${show(input)} must be a whole number of milliseconds; for example ${bounds.example}`,
    };
  }
  if (ms > max) {
    return {
      ok: false,
      kind: 'bad-duration',
      message: `${show(input)} must be at most ${bounds.max}; for example ${bounds.example}`,
    };
  }
  return { ok: true, ms };
}

/** `250ms`, `1.5s`, `2m`, `1h`: a number with a unit, a whole number of milliseconds up to `max`. */
export function duration(bounds: DurationBounds): ValueKind<number> {
  const max = maxMs(bounds);
  const schema = z.unknown().transform((input, ctx): number => {
    const parsed = parseDuration(input, bounds, max);
    if (parsed.ok) return parsed.ms;
    ctx.addIssue({ code: 'custom', message: parsed.message });
    return z.NEVER;
  });
  return {
    schema,
    form: 'duration',
    bounds: bounds.allowZero ? `0 to ${bounds.max}` : `> 0, at most ${bounds.max}`,
  };
}

/** The limits of a whole-number setting. */
export interface WholeNumberBounds {
  readonly min: number;
  readonly max: number;
  /** Written into messages: `for example 4`. */
  readonly example: number;
  /** The maximum as the docs show it when it depends on the machine (`4 × the machine's cores`). */
  readonly maxShown?: string;
  /** Said after a value above the maximum: where this machine's maximum comes from. */
  readonly maxReason?: string;
}

/** Numbers arrive as numbers from YAML and as strings from flags and variables. */
export function wholeNumber(bounds: WholeNumberBounds): ValueKind<number> {
  const { min, max, example } = bounds;
  const schema = z.unknown().transform((input, ctx): number => {
    const n =
      typeof input === 'number'
        ? input
        : typeof input === 'string' && /^\s*\d+\s*$/.test(input)
          ? Number(input)
          : NaN;
    if (!Number.isInteger(n) || n < min) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be a whole number >= ${min}; for example ${example}`,
      });
      return z.NEVER;
    }
    if (n > max) {
      const reason = bounds.maxReason ? ` (${bounds.maxReason})` : '';
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be at most ${max}${reason}; for example ${example}`,
      });
      return z.NEVER;
    }
    return n;
  });
  return { schema, form: 'whole number', bounds: `${min} to ${bounds.maxShown ?? max}` };
}

/** true/false from YAML; 'true'/'false'/'1'/'0'/'yes'/'no' from flags and variables. */
export const boolean: ValueKind<boolean> = {
  schema: z.unknown().transform((input, ctx): boolean => {
    if (typeof input === 'boolean') return input;
    if (typeof input === 'string' && /^\s*(true|1|yes)\s*$/i.test(input)) return true;
    if (typeof input === 'string' && /^\s*(false|0|no)\s*$/i.test(input)) return false;
    ctx.addIssue({ code: 'custom', message: `${show(input)} must be true or false` });
    return z.NEVER;
  }),
  form: '`true` or `false`',
};

/** A path or similar free text that must not be empty: `what` is `a directory path`, `a file path`. */
export function nonEmptyString(what: string, example: string): ValueKind<string> {
  return {
    schema: z
      .string({ error: (iss) => `${show(iss.input)} must be ${what}; for example ${example}` })
      .min(1, {
        error: `must be ${what}, not empty; for example ${example}; or remove it to use the default`,
      }),
    form: what.replace(/^an? /, ''),
  };
}

// The app name becomes the `app` label of every metric and a Graphite path segment, where a dot
// would split the path; hence the narrow alphabet.
const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export const appName: ValueKind<string> = {
  schema: z
    .string({ error: (iss) => `${show(iss.input)} must be a name; for example clicks` })
    .regex(APP_NAME, {
      error: (iss) =>
        `${show(iss.input)} may contain only letters, digits, '-' and '_' (it becomes the app label of ` +
        'every metric); for example clicks-prod',
    }),
  form: 'name',
  bounds: 'letters, digits, `-`, `_`; starts with a letter or digit',
};

export const httpAddress: ValueKind<HttpAddress> = {
  schema: z.unknown().transform((input, ctx): HttpAddress => {
    const parsed = typeof input === 'string' ? parseHttpAddress(input) : undefined;
    if (!parsed) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be HOST:PORT with a port up to 65535; for example 127.0.0.1:9464 (or [::1]:9464)`,
      });
      return z.NEVER;
    }
    return parsed;
  }),
  form: '`HOST:PORT` (`[::1]:PORT` for IPv6)',
  bounds: 'port 0 to 65535 (0: any free port)',
};

/** `always`, `never`, or a duration (fsync at most that often): the receivers' WAL policy. */
export function walFsync(bounds: DurationBounds): ValueKind<FsyncPolicy> {
  const max = maxMs(bounds);
  const schema = z.unknown().transform((input, ctx): FsyncPolicy => {
    if (input === 'always' || input === 'never') return { mode: input };
    const parsed = parseDuration(input, bounds, max);
    if (parsed.ok) return { mode: 'interval', intervalMs: parsed.ms };
    ctx.addIssue({
      code: 'custom',
      // A value that is no duration at all may have meant one of the two words.
      message:
        parsed.kind === 'bad-duration'
          ? `${parsed.message}, or 'always' or 'never'; see docs/wal.md`
          : `${show(input)} must be 'always', 'never' or a duration such as ${bounds.example} (fsync at most that often); see docs/wal.md`,
    });
    return z.NEVER;
  });
  return { schema, form: '`always`, `never` or a duration', bounds: `a duration > 0, at most ${bounds.max}` };
}

/**
 * A cadence that can be turned off: `0`, `0s` or `off` give 0 (off), anything else is a duration
 * from `min` to `max`. The lower bound keeps a typo (`1ms`) from becoming the flood a cadence
 * exists to avoid.
 */
export function durationOrOff(
  bounds: Omit<DurationBounds, 'allowZero'> & { readonly min: string },
): ValueKind<number> {
  const max = maxMs({ ...bounds, allowZero: true });
  const min = parseDurationMs(bounds.min, 'min');
  const schema = z.unknown().transform((input, ctx): number => {
    if (input === 'off' || input === 0 || (typeof input === 'string' && input.trim() === '0')) return 0;
    const parsed = parseDuration(input, { ...bounds, allowZero: true }, max);
    if (parsed.ok && (parsed.ms === 0 || parsed.ms >= min)) return parsed.ms;
    ctx.addIssue({
      code: 'custom',
      message: parsed.ok
        ? `${show(input)} must be at least ${bounds.min}, or 0 or off to turn it off; for example ${bounds.example}`
        : `${parsed.message}, or 0 or off to turn it off`,
    });
    return z.NEVER;
  });
  return {
    schema,
    form: '`0`, `off` or a duration',
    bounds: `0 or off: off; else ${bounds.min} to ${bounds.max}`,
  };
}

/** One of a fixed list of words; `message` follows the quoted value. */
export function oneOf<const V extends readonly [string, ...string[]]>(
  values: V,
  message: string,
): ValueKind<V[number]> {
  return {
    schema: z.enum(values, { error: (iss) => `${show(iss.input)} ${message}` }),
    form: values.map((v) => `\`${v}\``).join(', '),
  };
}

const TOKEN_EXAMPLE = 'for example the output of `openssl rand -hex 32`';

/**
 * The HTTP token: messages about it never echo its value. A token that no client can send as
 * written is refused rather than accepted and then never matched (everyone locked out): one
 * with whitespace around it (a secret made with `echo`, which adds a newline) or a line break
 * in it. An empty one is refused too, rather than meaning no token: running with the page and
 * /api/* open must be asked for by leaving the token unset.
 */
export const httpToken: ValueKind<string> = {
  schema: z.unknown().transform((input, ctx): string => {
    const refuse = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (typeof input !== 'string')
      return refuse('must be a string (quote it in YAML); the value is not shown');
    if (input === '')
      return refuse(
        "is set but empty, which is not taken to mean 'no token'; set the token, " +
          `${TOKEN_EXAMPLE}, or unset it to go without one`,
      );
    if (input.trim() === '')
      return refuse(`is only whitespace; set the token itself, ${TOKEN_EXAMPLE}; the value is not shown`);
    if (input.trim() !== input || /[\r\n]/.test(input))
      return refuse(
        'has whitespace or a line break around or in it, which a request cannot carry, so it would never ' +
          'match (a secret made with `echo` ends with a newline): create it with `printf %s` or ' +
          '`echo -n`, or trim it; the value is not shown',
      );
    if (input.length < 16) return refuse(`must be at least 16 characters; ${TOKEN_EXAMPLE}`);
    return input;
  }),
  form: 'string',
  bounds: 'at least 16 characters; no whitespace around it',
};

export const graphiteUrl: ValueKind<{ url: string; target: GraphiteTarget }> = {
  schema: z.unknown().transform((input, ctx): { url: string; target: GraphiteTarget } => {
    const target = typeof input === 'string' ? parseGraphiteUrl(input) : undefined;
    if (!target) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be tcp://HOST:PORT or udp://HOST:PORT; for example tcp://127.0.0.1:2003`,
      });
      return z.NEVER;
    }
    return { url: (input as string).trim(), target };
  }),
  form: '`tcp://HOST:PORT` or `udp://HOST:PORT`',
  bounds: 'port 1 to 65535',
};

// A prefix is one or more dotted path segments; an instance is one segment (like the app name).
const GRAPHITE_PREFIX = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

export const graphitePrefix: ValueKind<string> = {
  schema: z
    .string({ error: (iss) => `${show(iss.input)} must be a dotted name; for example sidestream` })
    .regex(GRAPHITE_PREFIX, {
      error: (iss) =>
        `${show(iss.input)} must be dot-separated names of letters, digits, '-' and '_'; for example prod.sidestream`,
    }),
  form: 'dotted name',
  bounds: 'segments of letters, digits, `-`, `_`',
};

export const graphiteInstance: ValueKind<string> = {
  schema: z
    .string({ error: (iss) => `${show(iss.input)} must be a name; for example host-1` })
    .regex(APP_NAME, {
      error: (iss) =>
        `${show(iss.input)} may contain only letters, digits, '-' and '_' (it is one Graphite path ` +
        'segment); for example host-1',
    }),
  form: 'name',
  bounds: 'letters, digits, `-`, `_`; starts with a letter or digit',
};

export const pushgatewayUrl: ValueKind<string> = {
  schema: z.unknown().transform((input, ctx): string => {
    let ok = false;
    if (typeof input === 'string') {
      try {
        const u = new URL(input.trim());
        ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.search;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        message: `${show(input)} must be an http:// or https:// URL of a Pushgateway; for example http://127.0.0.1:9091`,
      });
      return z.NEVER;
    }
    return (input as string).trim();
  }),
  form: '`http://` or `https://` URL',
  bounds: 'no query string',
};
