/**
 * Deterministic numerics for assignment and analysis.
 *
 * `Math.log`, `Math.exp` and `**` are "implementation-approximated" in ECMAScript: V8, JSC and
 * SpiderMonkey may differ in the last bit. A sticky assignment must be identical on every
 * runtime, so the score below uses only `+ - * /` (correctly rounded everywhere) and integer ops.
 */

import { fmix32 } from '@switchyard/core';

const LN2 = 0.6931471805599453;
const SQRT2 = 1.4142135623730951;
const TWO_POW_32_LN = 32 * LN2;

/**
 * `-ln(u)` for `u = (h + 0.5) / 2^32`, `h` an unsigned 32-bit integer: an Exp(1) draw from a
 * uniform hash, computed bit-identically on every IEEE-754 runtime.
 */
export function negLnUnit(h: number): number {
  // ln(h + 0.5) = e·ln2 + ln(y), y in [1/√2, √2).
  let e = 31 - Math.clz32(h); // floor(log2 h); -1 for h = 0
  let y = e >= 0 ? (h + 0.5) / ((1 << e) >>> 0) : (h + 0.5) * 2;
  if (y > SQRT2) {
    y *= 0.5;
    e++;
  }
  // ln(y) = 2·atanh(t), t = (y-1)/(y+1), |t| ≤ 0.1716: 12 odd terms reach 1e-18.
  const t = (y - 1) / (y + 1);
  const t2 = t * t;
  let s = 1 / 25;
  s = 1 / 23 + t2 * s;
  s = 1 / 21 + t2 * s;
  s = 1 / 19 + t2 * s;
  s = 1 / 17 + t2 * s;
  s = 1 / 15 + t2 * s;
  s = 1 / 13 + t2 * s;
  s = 1 / 11 + t2 * s;
  s = 1 / 9 + t2 * s;
  s = 1 / 7 + t2 * s;
  s = 1 / 5 + t2 * s;
  s = 1 / 3 + t2 * s;
  s = 1 + t2 * s;
  return TWO_POW_32_LN - (e * LN2 + 2 * t * s);
}

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3 x86_32 of the 4 little-endian bytes of `value` with `seed`: identical to
 * `murmur3Bytes(le32(value), seed)` from core, without allocating.
 */
export function murmur3Int(value: number, seed: number): number {
  let k = Math.imul(value | 0, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  let h = (seed | 0) ^ k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  return fmix32(h ^ 4) >>> 0;
}

/** Standard normal upper tail P(Z > z) (erfc of Numerical Recipes, |error| < 1.2e-7). */
export function normalUpperTail(z: number): number {
  const x = z / Math.SQRT2;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.5 * a);
  const erfc =
    t *
    Math.exp(
      -a * a -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}
