/**
 * "Did you mean" for config keys: the known key closest to a misspelled one, by the optimal
 * string alignment distance (Damerau-Levenshtein with adjacent transpositions, the measure
 * TypeScript's own "Did you mean…?" uses in spirit), case folded first so `timeoutMS` finds
 * `timeoutMs` at distance 0.
 */

/** Optimal string alignment distance between `a` and `b` (insert, delete, substitute, swap neighbours). */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  // Three rows are enough: the transposition looks two rows back.
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] as number;
}

/**
 * The known key `key` most likely stands for, or undefined when none is close: the distance
 * allowed grows with the key's length (1 up to 3 characters, 2 up to 6, then a third of it),
 * so `ur` does not become `id` but `retyr` becomes `retry` and `helthCheck` `healthCheck`;
 * failing that, a known key sharing a long prefix with it (`retries` → `retry`).
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 64) return undefined;
  const folded = key.toLowerCase();
  const limit = key.length <= 3 ? 1 : key.length <= 6 ? 2 : Math.max(2, Math.floor(key.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(folded, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  if (bestDistance <= limit) return best;
  // A shortened or lengthened form (`numRetry` for `numRetries`, `overprovisioning` for
  // `overprovisioningFactor`): a long common prefix covering most of the shorter key.
  let bestPrefix = 0;
  best = undefined;
  for (const k of known) {
    const other = k.toLowerCase();
    let n = 0;
    while (n < folded.length && n < other.length && folded[n] === other[n]) n++;
    if (n >= 4 && n >= 0.75 * Math.min(folded.length, other.length) && n > bestPrefix) {
      best = k;
      bestPrefix = n;
    }
  }
  return best;
}

/** The message of an unknown key: `unknown key "timeoutMS" (did you mean "timeoutMs"?)`. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const shown = key.length > 64 ? `${key.slice(0, 61)}...` : key;
  const hint = suggestKey(key, known);
  if (hint !== undefined) return `unknown key ${JSON.stringify(shown)} (did you mean ${JSON.stringify(hint)}?)`;
  return `unknown key ${JSON.stringify(shown)} (known keys: ${known.join(', ')})`;
}
