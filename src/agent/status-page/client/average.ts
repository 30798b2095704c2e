/** The mean the summary cards show (rate and delays over the batches on the page). Pure. */

/** The arithmetic mean; null for no values, which the cards show as '–'. */
export function average(xs: readonly number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}
