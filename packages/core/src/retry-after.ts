/**
 * `Retry-After` (RFC 9110 §10.2.3): `HTTP-date / delay-seconds`. Parses both forms into a
 * delay in milliseconds and formats delays as whole seconds (never milliseconds: the bug of
 * @fastify/rate-limit #301).
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Parses a `Retry-After` value into a delay in milliseconds from `nowWallMs`
 * (0 for a date in the past), or `undefined` if it is neither form.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from '@switchyard/core';
 * parseRetryAfter('120', 0);                                   // 120000
 * parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 0)); // 37000
 * parseRetryAfter('soon', 0);                                  // undefined
 * ```
 */
export function parseRetryAfter(value: string | undefined, nowWallMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const seconds = Number(v);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  const at = parseHttpDate(v, nowWallMs);
  return at === undefined ? undefined : Math.max(0, at - nowWallMs);
}

/** Formats a delay as `Retry-After` delta-seconds, rounding up (a client must not come back early). */
export function formatRetryAfter(delayMs: number): string {
  if (!(delayMs > 0)) return '0';
  return String(Math.ceil(delayMs / 1000));
}

/** Formats epoch milliseconds as an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function formatHttpDate(wallMs: number): string {
  return new Date(Math.floor(wallMs / 1000) * 1000).toUTCString();
}

/**
 * Parses the three HTTP-date forms recipients must accept (RFC 9110 §5.6.7): IMF-fixdate,
 * obsolete RFC 850 (two-digit year: a date more than 50 years ahead is in the past century),
 * and asctime. Returns epoch milliseconds or `undefined`.
 */
export function parseHttpDate(value: string, nowWallMs = 0): number | undefined {
  let m = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(value);
  if (m) return build(Number(m[3]), m[2], m[1], m[4], m[5], m[6]);
  m = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(value);
  if (m) {
    const nowYear = new Date(nowWallMs).getUTCFullYear();
    // The latest year with these two digits that is at most 50 years ahead (RFC 9110 §5.6.7).
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    else if (year + 100 <= nowYear + 50) year += 100;
    return build(year, m[2], m[1], m[4], m[5], m[6]);
  }
  m = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/.exec(value);
  if (m) return build(Number(m[6]), m[1], (m[2] ?? '').trim(), m[3], m[4], m[5]);
  return undefined;
}

function build(year: number, mon: string | undefined, day: string | undefined, h: string | undefined, mi: string | undefined, s: string | undefined): number | undefined {
  const month = MONTHS.indexOf(mon ?? '');
  const d = Number(day);
  const hh = Number(h);
  const mm = Number(mi);
  const ss = Number(s);
  if (month < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  const ms = Date.UTC(year, month, d, hh, mm, Math.min(ss, 59));
  // Reject dates like 31 Feb that Date.UTC would roll over.
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return ms;
}
