/**
 * Drawing the candidates of a power-of-d-choices pick (least request, Peak EWMA), with or without
 * replacement, from the injected rng.
 */

import { randomInt, type Rng } from '@switchyard/core';

/** How a power-of-d-choices balancer draws its candidates. */
export type Sampling = 'with-replacement' | 'distinct';

/**
 * Index of the candidate with the lowest `cost` among `choices` random draws from [0, n).
 * `with-replacement` (Envoy / gRPC A48): independent draws, a strictly lower cost replaces
 * the candidate (ties keep the earlier draw). `distinct` (tower / Linkerd `gen_pair`, and
 * Floyd's sampling for more than two): draws never repeat; ties keep the earlier draw.
 */
export function bestOf(n: number, choices: number, sampling: Sampling, rng: Rng, cost: (i: number) => number): number {
  if (n === 1) return 0;
  if (sampling === 'distinct') {
    if (choices >= n) {
      let best = 0;
      let bestCost = cost(0);
      for (let i = 1; i < n; i++) {
        const c = cost(i);
        if (c < bestCost) {
          best = i;
          bestCost = c;
        }
      }
      return best;
    }
    if (choices === 2) {
      const a = randomInt(rng, n);
      let b = randomInt(rng, n - 1);
      if (b >= a) b++;
      return cost(b) < cost(a) ? b : a;
    }
    // Floyd's algorithm: `choices` distinct indices, in draw order.
    const picked: number[] = [];
    for (let j = n - choices; j < n; j++) {
      const t = randomInt(rng, j + 1);
      picked.push(picked.includes(t) ? j : t);
    }
    let best = picked[0] as number;
    let bestCost = cost(best);
    for (let k = 1; k < picked.length; k++) {
      const i = picked[k] as number;
      const c = cost(i);
      if (c < bestCost) {
        best = i;
        bestCost = c;
      }
    }
    return best;
  }
  let best = randomInt(rng, n);
  let bestCost = cost(best);
  for (let k = 1; k < choices; k++) {
    const i = randomInt(rng, n);
    const c = cost(i);
    if (c < bestCost) {
      best = i;
      bestCost = c;
    }
  }
  return best;
}
