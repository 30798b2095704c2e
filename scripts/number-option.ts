/**
 * A numeric command-line option of the soak scripts: the fallback when absent, else a finite
 * number at least `min`; anything else goes to the script's `usage`, which exits.
 */
export function numberOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  usage: (message: string) => never,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) usage(`--${name} must be a number >= ${min}, not '${value}'`);
  return n;
}
