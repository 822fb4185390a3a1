/** The real random source: `Math.random()` behind the `Rng` interface. */

import type { Rng } from './rng.js';

/** `Math.random()` behind the {@link Rng} interface. Not for cryptographic use. */
export const systemRng: Rng = Object.freeze({
  next(): number {
    return Math.random();
  },
});
