/**
 * The calls a user metric's update methods accept, and the checks every update passes before it
 * touches a series. The shapes are prom-client's, so code written for it means the same here:
 * `inc()`, `inc(150)`, `inc({ country: 'fr' })`, `inc({ country: 'fr' }, 3)`; `set(5)`,
 * `set({ country: 'fr' }, 5)`; `observe(0.3)`, `observe({ country: 'fr' }, 0.3)`. Any other call
 * (a value that is not a finite number, a negative counter increment, a label not declared, an
 * argument of the wrong type) throws SS_METRIC_INVALID naming the metric and the fix: a counter
 * that silently added 1 for `inc(150)` is the mistake this module exists to rule out.
 */
import { SidestreamError } from '../errors.js';

export type UserMetricKind = 'counter' | 'gauge' | 'histogram';
export type UserMetricMethod = 'inc' | 'dec' | 'set' | 'observe';

/** One metric's update method, as declared. */
export interface MetricCallSpec {
  readonly kind: UserMetricKind;
  readonly name: string;
  readonly method: UserMetricMethod;
  /** The declared label names, without `app` (sidestream adds it). */
  readonly labelNames: readonly string[];
}

/** A checked update: labels with no undefined values, a finite value. */
export interface MetricUpdate {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** inc and dec default to 1, as in prom-client; set and observe need a value. */
function defaultValue(method: UserMetricMethod): number | undefined {
  return method === 'inc' || method === 'dec' ? 1 : undefined;
}

/** Reads one call's arguments in the shapes above, then checks them (checkMetricUpdate). */
export function parseMetricCall(spec: MetricCallSpec, args: readonly unknown[]): MetricUpdate {
  const fallback = defaultValue(spec.method);
  if (args.length > 2) throw refused(spec, `got ${args.length} arguments`);
  const [first, second] = args;
  if (args.length === 0) {
    if (fallback === undefined) throw refused(spec, 'needs a value');
    return checkMetricUpdate(spec, {}, fallback);
  }
  if (typeof first === 'number') {
    // inc(5, 3) could mean either number; prom-client would quietly drop one.
    if (args.length === 2) throw refused(spec, 'got a value followed by a second argument');
    return checkMetricUpdate(spec, {}, first);
  }
  if (isPlainObject(first)) {
    if (second === undefined && fallback === undefined) throw refused(spec, 'got labels but no value');
    return checkMetricUpdate(spec, first, second === undefined ? fallback : second);
  }
  throw refused(spec, `got ${describe(first)} where the labels object or the value goes`);
}

/**
 * Checks labels and value (also for updates replayed from an executor worker): labels are a plain
 * object of declared names with string or finite-number values (undefined leaves a label out);
 * the value is a finite number, not negative for a counter.
 */
export function checkMetricUpdate(spec: MetricCallSpec, labels: unknown, value: unknown): MetricUpdate {
  if (!isPlainObject(labels)) throw refused(spec, `got ${describe(labels)} as labels`);
  const out: Record<string, string | number> = {};
  for (const [label, v] of Object.entries(labels)) {
    if (label === 'app') {
      throw invalid(
        `${where(spec)}: label 'app' is set by sidestream (the context's appName) on every series; remove it from the call`,
      );
    }
    if (!spec.labelNames.includes(label)) {
      const declared = spec.labelNames.length === 0 ? 'none' : spec.labelNames.join(', ');
      throw invalid(
        `${where(spec)}: label '${label}' was not declared (declared: ${declared}); add it to the labelNames of ssc.metrics.${spec.kind}('${spec.name}', help, [...]) or remove it from the call`,
      );
    }
    if (v === undefined) continue;
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) out[label] = v;
    else {
      throw invalid(
        `${where(spec)}: label '${label}' has ${describe(v)}; label values are strings or finite numbers`,
      );
    }
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(
      `${where(spec)}: ${spec.method} got ${describe(value)} as the value; pass a finite number: ${usage(spec)}`,
    );
  }
  if (spec.kind === 'counter' && value < 0) {
    throw invalid(
      `${where(spec)}: inc(${value}) would decrease a counter, which only goes up; use a gauge (inc/dec/set) for a value that can go down`,
    );
  }
  return { labels: out, value };
}

function refused(spec: MetricCallSpec, what: string): SidestreamError {
  return invalid(`${where(spec)}: ${spec.method}() ${what}; call it as ${usage(spec)}`);
}

function where(spec: MetricCallSpec): string {
  return `${spec.kind} '${spec.name}'`;
}

/** The accepted shapes, with the metric's own first label as the example. */
function usage(spec: MetricCallSpec): string {
  const m = spec.method;
  const example = spec.kind === 'histogram' ? '0.3' : spec.method === 'set' ? '5' : '3';
  const label = spec.labelNames[0];
  const labels = label === undefined ? undefined : `{ ${label}: 'x' }`;
  const shapes =
    defaultValue(m) === undefined
      ? [`${m}(${example})`, ...(labels ? [`${m}(${labels}, ${example})`] : [])]
      : [`${m}()`, `${m}(${example})`, ...(labels ? [`${m}(${labels})`, `${m}(${labels}, ${example})`] : [])];
  return shapes.length === 1
    ? (shapes[0] as string)
    : `${shapes.slice(0, -1).join(', ')} or ${shapes[shapes.length - 1]}`;
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  return `a value of type ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`;
}

/** Plain objects only: an array, a Map or a Date as labels would be read as no labels at all. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Object.prototype.toString.call(v) === '[object Object]';
}

function invalid(message: string): SidestreamError {
  return new SidestreamError('SS_METRIC_INVALID', message);
}
