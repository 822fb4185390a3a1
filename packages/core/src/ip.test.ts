import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cidrContains, formatIp, maskIp, parseCidr, parseIp, type IpAddress } from './ip.js';

const v4bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });
const isMapped = (b: Uint8Array) => b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
// Bias toward zero groups so that `::` compression is exercised.
const word = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const v6bytes = fc
  .array(word, { minLength: 8, maxLength: 8 })
  .map((ws) => Uint8Array.from(ws.flatMap((w) => [w >> 8, w & 0xff])))
  .filter((b) => !isMapped(b));
const v4 = v4bytes.map((bytes): IpAddress => ({ version: 4, bytes }));
const v6 = v6bytes.map((bytes): IpAddress => ({ version: 6, bytes }));
const anyIp = fc.oneof(v4, v6);

/** RFC 5952 §4, written independently: lower-case hex, no leading zeros, the longest run (≥ 2, first on ties) of zero groups as `::`. */
function rfc5952(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
  let best = { start: -1, len: 0 };
  let run = { start: -1, len: 0 };
  words.forEach((w, i) => {
    if (w === 0) {
      run = run.len === 0 ? { start: i, len: 1 } : { start: run.start, len: run.len + 1 };
      if (run.len > best.len) best = run;
    } else run = { start: -1, len: 0 };
  });
  const hex = words.map((w) => w.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

describe('parseIp / formatIp', () => {
  it('IPv4 round-trips through dotted-quad text', () => {
    fc.assert(
      fc.property(v4, (ip) => {
        const text = formatIp(ip);
        expect(text).toBe(Array.from(ip.bytes).join('.'));
        expect(parseIp(text)).toEqual(ip);
      }),
    );
  });

  it('IPv6 formats as RFC 5952 canonical text and round-trips', () => {
    fc.assert(
      fc.property(v6, (ip) => {
        const text = formatIp(ip);
        expect(text).toBe(rfc5952(ip.bytes));
        expect(parseIp(text)).toEqual(ip);
      }),
      { numRuns: 2000 },
    );
  });

  it('parses every spelling of an IPv6 address (upper case, leading zeros, uncompressed, brackets, zone) to the same bytes', () => {
    fc.assert(
      fc.property(v6, fc.boolean(), fc.boolean(), (ip, upper, bracket) => {
        const words = Array.from({ length: 8 }, (_, i) => (((ip.bytes[2 * i] as number) << 8) | (ip.bytes[2 * i + 1] as number)).toString(16).padStart(4, '0'));
        let text = words.join(':');
        if (upper) text = text.toUpperCase();
        expect(parseIp(bracket ? `[${text}]` : `${text}%eth0`)).toEqual(ip);
      }),
    );
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    fc.assert(
      fc.property(v4, (ip) => {
        const dotted = formatIp(ip);
        const hex = `${(((ip.bytes[0] as number) << 8) | (ip.bytes[1] as number)).toString(16)}:${(((ip.bytes[2] as number) << 8) | (ip.bytes[3] as number)).toString(16)}`;
        for (const text of [`::ffff:${dotted}`, `::FFFF:${hex}`, `0:0:0:0:0:ffff:${dotted}`, `[::ffff:${dotted}]`]) {
          expect(parseIp(text)).toEqual(ip);
        }
      }),
    );
    expect(formatIp(parseIp('::ffff:203.0.113.7') as IpAddress)).toBe('203.0.113.7');
  });

  it('keeps embedded IPv4 in other IPv6 addresses as IPv6', () => {
    expect(parseIp('64:ff9b::192.0.2.33')).toEqual(parseIp('64:ff9b::c000:221'));
    expect(parseIp('64:ff9b::192.0.2.33')?.version).toBe(6);
  });

  it.each([
    ['1.2.3'],
    ['1.2.3.4.5'],
    ['256.1.1.1'],
    ['01.2.3.4'],
    ['1.2.3.-4'],
    ['1::2::3'],
    [':::'],
    ['1:2:3:4:5:6:7:8:9'],
    ['1:2:3:4:5:6:7'],
    ['12345::'],
    ['g::1'],
    ['::1.2.3.4:5'],
    ['1.2.3.4::'],
    [''],
    ['localhost'],
  ])('rejects %j', (text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('parses the well-known short forms', () => {
    expect(formatIp(parseIp('::') as IpAddress)).toBe('::');
    expect(formatIp(parseIp('::1') as IpAddress)).toBe('::1');
    expect(formatIp(parseIp('2001:DB8:0:0:1:0:0:1') as IpAddress)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1') as IpAddress)).toBe('2001:db8:0:1:1:1:1:1');
  });
});

describe('parseIp - IPv4 against a reference grammar', () => {
  /** The dotted-quad grammar, written as a regex: decimal octets 0-255, no leading zeros. */
  const reference = (s: string): number[] | undefined => {
    const parts = s.split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
    return parts.map(Number);
  };

  it('property: any string over digits and dots parses exactly when the grammar accepts it, to the same bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '9', '.', '.', '.'), maxLength: 18 }), (s) => {
        const got = parseIp(s);
        const want = reference(s);
        expect(got === undefined ? undefined : [...got.bytes]).toEqual(want);
        if (got !== undefined) expect(got.version).toBe(4);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses octets above 255, leading zeros, signs, spaces inside and empty octets', () => {
    for (const bad of ['256.1.1.1', '1.2.3.04', '01.2.3.4', '+1.2.3.4', '1.2. 3.4', '1..2.3', '1.2.3.4.', '.1.2.3', '1.2.3', '1.2.3.4.5', '1e1.2.3.4']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
    expect([...(parseIp('255.0.10.1')?.bytes ?? [])]).toEqual([255, 0, 10, 1]);
  });
});

describe('CIDR', () => {
  const withPrefix = anyIp.chain((ip) => fc.tuple(fc.constant(ip), fc.integer({ min: 0, max: ip.bytes.length * 8 })));

  it('a range contains the address it was written with, and its host bits are cleared', () => {
    fc.assert(
      fc.property(withPrefix, ([ip, prefix]) => {
        const cidr = parseCidr(`${formatIp(ip)}/${prefix}`);
        expect(cidr).toBeDefined();
        expect(cidrContains(cidr!, ip)).toBe(true);
        expect(cidr!.bytes).toEqual(maskIp(ip, prefix).bytes);
        expect(cidr!.prefix).toBe(prefix);
      }),
      { numRuns: 1000 },
    );
  });

  it('contains exactly the addresses whose first prefix bits match', () => {
    fc.assert(
      fc.property(withPrefix, anyIp, ([net, prefix], other) => {
        const cidr = parseCidr(`${formatIp(net)}/${prefix}`)!;
        const same = other.version === net.version && formatIp(maskIp(other, prefix)) === formatIp(maskIp(net, prefix));
        expect(cidrContains(cidr, other)).toBe(same);
      }),
      { numRuns: 1000 },
    );
  });

  it('maskIp is idempotent, keeps a full-length prefix as is, and clamps longer prefixes', () => {
    fc.assert(
      fc.property(withPrefix, ([ip, prefix]) => {
        const once = maskIp(ip, prefix);
        expect(maskIp(once, prefix)).toEqual(once);
        expect(maskIp(ip, ip.bytes.length * 8)).toEqual(ip);
        expect(maskIp(ip, 1000)).toEqual(ip);
        expect(maskIp(ip, 0).bytes.every((b) => b === 0)).toBe(true);
      }),
    );
  });

  it('a bare address is a single-host range', () => {
    expect(parseCidr('10.1.2.3')).toMatchObject({ version: 4, prefix: 32 });
    expect(parseCidr('2001:db8::1')).toMatchObject({ version: 6, prefix: 128 });
    expect(cidrContains(parseCidr('10.1.2.3')!, parseIp('10.1.2.4')!)).toBe(false);
  });

  it('reads an IPv4-mapped IPv6 range with prefix >= 96 as the IPv4 range, which contains mapped and plain clients alike', () => {
    const cidr = parseCidr('::ffff:10.0.0.0/104')!;
    expect(cidr).toMatchObject({ version: 4, prefix: 8 });
    expect(cidrContains(cidr, parseIp('10.200.1.1')!)).toBe(true);
    expect(cidrContains(cidr, parseIp('::ffff:10.200.1.1')!)).toBe(true);
    expect(cidrContains(cidr, parseIp('11.0.0.1')!)).toBe(false);
  });

  it('never matches across versions', () => {
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('::1')!)).toBe(false);
    expect(cidrContains(parseCidr('::/0')!, parseIp('1.2.3.4')!)).toBe(false);
  });

  it.each([['10.0.0.0/33'], ['10.0.0.0/-1'], ['10.0.0.0/'], ['10.0.0.0/8/8'], ['2001:db8::/129'], ['10.0.0.0/abc'], ['nope/8']])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});
