import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHttpDate, formatRetryAfter, parseHttpDate, parseRetryAfter } from './retry-after.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** The three forms of RFC 9110 §5.6.7, built by hand (independently of the code under test). */
function forms(ms: number) {
  const d = new Date(ms);
  const [dow, day, mon, year] = [d.getUTCDay(), d.getUTCDate(), d.getUTCMonth(), d.getUTCFullYear()];
  const time = `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
  return {
    imf: `${DAYS[dow]}, ${p2(day)} ${MONTHS[mon]} ${year} ${time} GMT`,
    rfc850: `${LONG_DAYS[dow]}, ${p2(day)}-${MONTHS[mon]}-${p2(year % 100)} ${time} GMT`,
    asctime: `${DAYS[dow]} ${MONTHS[mon]} ${String(day).padStart(2, ' ')} ${time} ${year}`,
  };
}

const YEAR_MS = 365.2425 * 86_400_000;
const epochMs = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) });

describe('Retry-After', () => {
  it('parses the RFC 9110 examples', () => {
    const at = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(at);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2026, 0, 1))).toBe(at);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(at);
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter('Fri, 31 Dec 1999 23:59:59 GMT', Date.UTC(1999, 11, 31, 23, 59, 0))).toBe(59_000);
  });

  it('delta-seconds round-trip: format rounds up to whole seconds, parse reads them back', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1e12, noNaN: true }), (delayMs) => {
        const back = parseRetryAfter(formatRetryAfter(delayMs), 0) as number;
        expect(back).toBeGreaterThanOrEqual(delayMs);
        expect(back - delayMs).toBeLessThan(1000);
        expect(back % 1000).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.nat(1e9), (s) => {
        expect(parseRetryAfter(formatRetryAfter(s * 1000), 0)).toBe(s * 1000);
      }),
    );
  });

  it('formats zero, negative and NaN delays as 0 (retry now), never as milliseconds', () => {
    expect(formatRetryAfter(0)).toBe('0');
    expect(formatRetryAfter(-5)).toBe('0');
    expect(formatRetryAfter(Number.NaN)).toBe('0');
    expect(formatRetryAfter(1500)).toBe('2');
  });

  it('HTTP-date round-trips through formatHttpDate (to the second)', () => {
    fc.assert(
      fc.property(epochMs, (ms) => {
        const s = formatHttpDate(ms);
        expect(s).toBe(forms(ms).imf);
        expect(parseHttpDate(s)).toBe(Math.floor(ms / 1000) * 1000);
      }),
      { numRuns: 2000 },
    );
  });

  it('parses all three HTTP-date forms to the same instant', () => {
    fc.assert(
      fc.property(epochMs, fc.double({ min: -48, max: 48, noNaN: true }), (ms, yearsAway) => {
        const at = Math.floor(ms / 1000) * 1000;
        const f = forms(ms);
        // RFC 850 has two-digit years: read relative to a "now" within 48 years of the date. The
        // 50-year rule compares calendar years, and 49 years of milliseconds from Dec 31 can land
        // in the 50th calendar year, where the other century is exactly 50 years ahead (allowed).
        const now = Math.min(Math.max(ms + yearsAway * YEAR_MS, Date.UTC(1970, 0, 1)), Date.UTC(9999, 0, 1));
        expect(parseHttpDate(f.imf)).toBe(at);
        expect(parseHttpDate(f.asctime)).toBe(at);
        expect(parseHttpDate(f.rfc850, now)).toBe(at);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads an RFC 850 year more than 50 years ahead as the past century, and one up to 50 years ahead as the future', () => {
    const now = Date.UTC(2026, 5, 1);
    expect(new Date(parseHttpDate('Thursday, 01-Jan-76 00:00:00 GMT', now) as number).getUTCFullYear()).toBe(2076);
    expect(new Date(parseHttpDate('Friday, 01-Jan-77 00:00:00 GMT', now) as number).getUTCFullYear()).toBe(1977);
    // Regression: in 2090, "10" is 2110 (20 years ahead), not 2010.
    expect(new Date(parseHttpDate('Wednesday, 01-Jan-10 00:00:00 GMT', Date.UTC(2090, 0, 1)) as number).getUTCFullYear()).toBe(2110);
  });

  it('a date in the past means retry now (0), not a negative delay', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(2026, 0, 1))).toBe(0);
  });

  it.each([
    ['soon'],
    ['-1'],
    ['1.5'],
    [''],
    ['Sun, 31 Feb 2026 00:00:00 GMT'],
    ['Sun, 06 Nov 1994 24:00:00 GMT'],
    ['Sun, 06 Xyz 1994 08:49:37 GMT'],
    ['Sun, 06 Nov 1994 08:49:37 UTC'],
    ['99999999999999999999'],
  ])('rejects %j', (v) => {
    expect(parseRetryAfter(v, 0)).toBeUndefined();
  });

  it('tolerates surrounding whitespace and an absent header', () => {
    expect(parseRetryAfter('  30 ', 0)).toBe(30_000);
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});
