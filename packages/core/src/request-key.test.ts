import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SyRequest } from './http.js';
import { attributeText, cookieValue, decodeQueryComponent, queryValue, readRequestKey } from './request-key.js';

const req = (over: Partial<SyRequest>): SyRequest => ({ method: 'GET', scheme: 'http', authority: 'a', path: '/', query: '', headers: {}, attributes: {}, ...over });

describe('queryValue (Envoy QueryParamsMulti::parseQueryString + getFirstValue)', () => {
  it('reads the raw first value; a bare name is the empty string; names compared as they arrived', () => {
    expect(queryValue('user=a%20b&x', 'user')).toBe('a%20b');
    expect(queryValue('user=a+b', 'user')).toBe('a+b');
    expect(queryValue('k=1&k=2', 'k')).toBe('1');
    expect(queryValue('x&k', 'k')).toBe('');
    expect(queryValue('k=', 'k')).toBe('');
    expect(queryValue('kk=1&k=2', 'k')).toBe('2');
    expect(queryValue('%6B=1', 'k')).toBeUndefined();
    expect(queryValue('K=1', 'k')).toBeUndefined();
    expect(queryValue('', 'k')).toBeUndefined();
    expect(queryValue('a=b=c', 'a')).toBe('b=c');
    expect(queryValue('&&k=1&', 'k')).toBe('1');
  });

  it('property - agrees with a split on & and the first =', () => {
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '=', '%', '+', '2', '0') , maxLength: 5 });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), fc.string({ unit: fc.constantFrom('a', 'b', '%', '+'), minLength: 1, maxLength: 2 }), (parts, name) => {
        const query = parts.join('&');
        let expected: string | undefined;
        for (const p of query === '' ? [] : query.split('&')) {
          const eq = p.indexOf('=');
          if ((eq < 0 ? p : p.slice(0, eq)) === name) {
            expected = eq < 0 ? '' : p.slice(eq + 1);
            break;
          }
        }
        expect(queryValue(query, name)).toBe(expected);
      }),
    );
  });
});

describe('cookieValue (Envoy Utility::forEachCookie)', () => {
  it('name from the first non-space to =; value as is, one pair of quotes removed; first wins', () => {
    expect(cookieValue('a=1; sid=x', 'sid')).toBe('x');
    expect(cookieValue('sid="x y"', 'sid')).toBe('x y');
    expect(cookieValue('sid=""', 'sid')).toBe('');
    expect(cookieValue('sid="', 'sid')).toBe('"');
    expect(cookieValue('sid=1;sid=2', 'sid')).toBe('1');
    expect(cookieValue('  sid=1', 'sid')).toBe('1');
    expect(cookieValue('sid =1', 'sid')).toBeUndefined();
    expect(cookieValue('a=1 ; sid=2', 'a')).toBe('1 ');
    expect(cookieValue('novalue; sid=2', 'sid')).toBe('2');
    expect(cookieValue('novalue; sid=2', 'novalue')).toBeUndefined();
    expect(cookieValue('xsid=1', 'sid')).toBeUndefined();
    expect(cookieValue(undefined, 'sid')).toBeUndefined();
    expect(cookieValue('a=b=c', 'a')).toBe('b=c');
  });

  it('property - agrees with a split on ; as Envoy writes it', () => {
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '=', ' ', '"'), maxLength: 6 });
    fc.assert(
      fc.property(fc.array(part, { maxLength: 5 }), fc.constantFrom('a', 'b', 'ab'), (parts, name) => {
        const header = parts.join(';');
        let expected: string | undefined;
        for (const s of header.split(';')) {
          const eq = s.indexOf('=');
          if (eq < 0) continue;
          let start = 0;
          while (start < s.length && s[start] === ' ') start++;
          if (s.slice(start, eq) !== name) continue;
          let v = s.slice(eq + 1);
          if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
          expected = v;
          break;
        }
        expect(cookieValue(header, name)).toBe(expected);
      }),
    );
  });
});

describe('attributeText', () => {
  it('strings as they are; finite numbers, booleans and bigints as text; nothing else', () => {
    const r = req({ attributes: { s: 'x', n: 2, f: 1.5, b: false, big: 10n, nan: Number.NaN, inf: Infinity, o: { a: 1 }, u: undefined } });
    expect(['s', 'n', 'f', 'b', 'big'].map((k) => attributeText(r, k))).toEqual(['x', '2', '1.5', 'false', '10']);
    for (const k of ['nan', 'inf', 'o', 'u', 'missing', 'constructor', '__proto__', 'toString']) expect(attributeText(r, k)).toBeUndefined();
  });
});

describe('readRequestKey', () => {
  it('reads each place raw', () => {
    const r = req({ query: 'u=a%20b', headers: { 'x-user': 'h', cookie: 'sid=c' }, attributes: { id: 7 }, clientAddress: '10.0.0.1' });
    expect(readRequestKey(r, { query: 'u' })).toBe('a%20b');
    expect(readRequestKey(r, { header: 'x-user' })).toBe('h');
    expect(readRequestKey(r, { cookie: 'sid' })).toBe('c');
    expect(readRequestKey(r, { attribute: 'id' })).toBe('7');
    expect(readRequestKey(r, { clientAddress: true })).toBe('10.0.0.1');
    expect(readRequestKey(req({}), { clientAddress: true })).toBeUndefined();
  });
});

describe('decodeQueryComponent', () => {
  it('+ is a space, UTF-8 percent-decoding; malformed input never throws and keeps what it cannot decode', () => {
    expect(decodeQueryComponent('a+b%20c')).toBe('a b c');
    expect(decodeQueryComponent('%C3%A9')).toBe('é');
    expect(decodeQueryComponent('100%')).toBe('100%');
    expect(decodeQueryComponent('%41%E0%A4%A')).toBe('A%E0%A4%A');
    fc.assert(fc.property(fc.string(), (s) => void decodeQueryComponent(s)));
  });
});
