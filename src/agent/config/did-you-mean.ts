/** The typo suggestion of unknown-key messages: `batch_interval: unknown key; did you mean batchInterval?`. */

/** The closest known key when it is plausibly a typo (same letters ignoring case/dashes, or a small edit). */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, '');
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact) return exact;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 4)) + 1;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      // biome-ignore lint/style/noNonNullAssertion: j is in 1..b.length, prev holds b.length + 1 entries, cur[j - 1] was just written.
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  // biome-ignore lint/style/noNonNullAssertion: every row holds b.length + 1 entries.
  return prev[b.length]!;
}
