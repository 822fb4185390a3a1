import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSendable, describeUnsendable, isSendableHeaderName, isSendableHeaderValue, isSendableHost, isSendableMethod, isSendableTarget } from './sendable.js';

const req = (over: { method?: string; path?: string; headers?: Record<string, string | undefined> } = {}) => ({ method: 'GET', path: '/a/b?c=d', headers: {}, ...over });

describe('checkSendable - undici profile', () => {
  it('accepts an ordinary request, obs-text, DEL and latin1 in the path, HTAB and latin1 in values', () => {
    expect(checkSendable(req({ headers: { host: 'api.example.com:8080', 'x-a': 'caf\u00e9\tx', 'content-length': '12' } }))).toBeUndefined();
    expect(checkSendable(req({ path: '/caf\u00e9/\u007f?q=%01' }))).toBeUndefined();
    expect(checkSendable(req({ headers: { host: '[::1]:8080' } }))).toBeUndefined();
    expect(checkSendable(req({ headers: { host: '' } }))).toBeUndefined();
    expect(checkSendable(req({ method: 'PURGE' }))).toBeUndefined();
  });

  it('refuses what undici refuses, naming the field and never the bytes', () => {
    expect(checkSendable(req({ method: 'GE T' }))).toEqual({ field: 'method', reason: 'not a token' });
    expect(checkSendable(req({ method: '' }))).toEqual({ field: 'method', reason: 'not a token' });
    expect(checkSendable(req({ path: 'a' }))).toEqual({ field: 'path', reason: 'does not start with /' });
    expect(checkSendable(req({ path: '/a b' }))).toEqual({ field: 'path', reason: 'space or control character' });
    expect(checkSendable(req({ path: '/a\u0001' }))).toEqual({ field: 'path', reason: 'space or control character' });
    expect(checkSendable(req({ path: '/\u0101' }))).toEqual({ field: 'path', reason: 'character above U+00FF' });
    expect(checkSendable(req({ headers: { 'x a': '1' } }))).toEqual({ field: 'header-name', reason: 'not a token' });
    expect(checkSendable(req({ headers: { '\u212a': '1' } }))).toEqual({ field: 'header-name', reason: 'not a token' });
    expect(checkSendable(req({ headers: { 'X-Tenant': 'a\u0001' } }))).toEqual({ field: 'header-value', reason: 'control character', header: 'x-tenant' });
    expect(checkSendable(req({ headers: { 'x-t': 'a\u007f' } }))).toEqual({ field: 'header-value', reason: 'control character', header: 'x-t' });
    expect(checkSendable(req({ headers: { 'x-t': 'a\r\nb' } }))).toEqual({ field: 'header-value', reason: 'control character', header: 'x-t' });
    expect(checkSendable(req({ headers: { 'x-t': 'caf\u0101' } }))).toEqual({ field: 'header-value', reason: 'character above U+00FF', header: 'x-t' });
    expect(checkSendable(req({ headers: { Host: '[::1' } }))).toEqual({ field: 'host', reason: 'unclosed IP literal' });
    expect(checkSendable(req({ headers: { host: 'a\u0000' } }))).toEqual({ field: 'host', reason: 'control character' });
    expect(checkSendable(req({ headers: { host: '\u0101.example' } }))).toEqual({ field: 'host', reason: 'character above U+00FF' });
    expect(checkSendable(req({ headers: { 'content-length': '1e3' } }))?.reason).toBe('not a decimal length');
  });

  it('skips undefined header values and never throws on malformed input', () => {
    expect(checkSendable(req({ headers: { 'x-a': undefined } }))).toBeUndefined();
    expect(checkSendable({ method: 1, path: null, headers: {} } as never)?.field).toBe('method');
    expect(checkSendable({ method: 'GET', path: null, headers: {} } as never)?.field).toBe('path');
    expect(checkSendable(req({ headers: { 'x-a': 7 as never } }))?.field).toBe('header-value');
  });
});

describe('checkSendable - fetch profile', () => {
  it('refuses forbidden methods, fragments, backslashes and non-ASCII paths; allows header controls fetch allows', () => {
    expect(checkSendable(req({ method: 'connect' }), 'fetch')).toEqual({ field: 'method', reason: 'forbidden by the Fetch standard' });
    expect(checkSendable(req({ method: 'TRACK' }), 'fetch')?.field).toBe('method');
    expect(checkSendable(req({ method: 'TRACE' }))).toBeUndefined();
    expect(checkSendable(req({ path: '/a#b' }), 'fetch')).toEqual({ field: 'path', reason: 'fragment or backslash' });
    expect(checkSendable(req({ path: '/a\\..\\b' }), 'fetch')).toEqual({ field: 'path', reason: 'fragment or backslash' });
    expect(checkSendable(req({ path: '/caf\u00e9' }), 'fetch')).toEqual({ field: 'path', reason: 'non-ASCII character' });
    expect(checkSendable(req({ headers: { 'x-a': 'a\u0001\u007f' } }), 'fetch')).toBeUndefined();
    expect(checkSendable(req({ headers: { 'x-a': 'a\nb' } }), 'fetch')?.reason).toBe('control character');
    expect(checkSendable(req({ headers: { 'x-a': '\u0101' } }), 'fetch')?.reason).toBe('character above U+00FF');
    expect(checkSendable(req({ headers: { host: '[::1' } }), 'fetch')).toBeUndefined();
  });
});

describe('describeUnsendable', () => {
  it('is a fixed sentence naming the field or the header', () => {
    expect(describeUnsendable({ field: 'header-value', reason: 'control character', header: 'x-t' })).toBe('the upstream request header x-t cannot be sent: control character');
    expect(describeUnsendable({ field: 'host', reason: 'unclosed IP literal' })).toBe('the upstream request host cannot be sent: unclosed IP literal');
  });
});

/** undici's own rules, restated from lib/core/request.js and util.js, as the oracle. */
const undiciPath = (p: string) => p.startsWith('/') && !/[^\u0021-\u00ff]/.test(p);
const undiciToken = (s: string) => /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/.test(s);
const undiciValue = (v: string) => !/[^\t\x20-\x7e\x80-\xff]/.test(v);

describe('checkSendable - property', () => {
  const text = fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c)), fc.constantFrom('a', '/', '[', ']', ':')), maxLength: 12 });
  it('agrees with undici\'s own rules on arbitrary methods, paths, header names, values and hosts', () => {
    fc.assert(
      fc.property(text, text, text, text, text, (method, path, name, value, host) => {
        const expected =
          undiciToken(method) && undiciPath(path) && undiciToken(name) && undiciValue(value) && undiciValue(host) && !(host.startsWith('[') && !host.includes(']'));
        const n = name.toLowerCase() === 'host' || name.toLowerCase() === 'content-length' ? `x-${name}` : name;
        const r = checkSendable({ method, path, headers: { [n]: value, host } });
        expect(r === undefined).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('short strings take a char-code loop, long ones the RegExp: the same rule either way', () => {
  it('property: for strings around the switch length (16), the checks agree with the rules as RegExps', () => {
    const char = fc.oneof(fc.integer({ min: 0, max: 0x17f }), fc.constantFrom(9, 0x20, 0x7e, 0x7f, 0x80, 0xff, 0x100)).map((c) => String.fromCharCode(c));
    const tokenChar = fc.constantFrom(...'!#$%&\'*+-.^_`|~09AZaz'.split(''), '"', '(', ' ', '\u00e9');
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 40 }), fc.string({ unit: tokenChar, maxLength: 40 }), (v, t) => {
        expect(isSendableHeaderValue(v)).toBe(!/[^\t\x20-\x7e\x80-\xff]/.test(v));
        expect(isSendableHost(v)).toBe(!/[^\t\x20-\x7e\x80-\xff]/.test(v) && !(v.startsWith('[') && !v.includes(']')));
        expect(isSendableTarget(`/${v}`)).toBe(!/[^\u0021-\u00ff]/.test(`/${v}`));
        for (const s of [t, v]) {
          expect(isSendableHeaderName(s)).toBe(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s));
          expect(isSendableMethod(s)).toBe(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(s));
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
