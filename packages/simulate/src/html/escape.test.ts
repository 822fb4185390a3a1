import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript } from './escape.js';

describe('escapeHtml', () => {
  it('escapeHtml - escapes the five markup characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('escapeHtml - leaves other text (including non-ASCII) unchanged', () => {
    expect(escapeHtml('GET /api/v1 – p99 ≤ 20 ms')).toBe('GET /api/v1 – p99 ≤ 20 ms');
  });

  it('escapeHtml - output never contains a markup character, and unescaping gives the input back (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '"', "'", '&', ';', 'a', 'é', '\u2028', '😀') }), (s) => {
        const out = escapeHtml(s);
        const back = out.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e] ?? '');
        return !/[<>"']/.test(out) && back === s;
      }),
    );
  });
});

describe('jsonForScript', () => {
  it('jsonForScript - neutralises </script and <!-- and parses back to the same value', () => {
    const value = { route: '</script><script>alert(1)</script>', note: '<!--<script>', amp: 'a&b', ls: 'a\u2028b\u2029c' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/<\/script/i);
    expect(text).not.toContain('<!--');
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('jsonForScript - escapes a </SCRIPT in any case, in keys as well as values', () => {
    const text = jsonForScript({ '</SCRIPT>': ['</ScRiPt >'] });
    expect(text).toBe('{"\\u003c/SCRIPT\\u003e":["\\u003c/ScRiPt \\u003e"]}');
  });

  it('jsonForScript - undefined becomes null (the page still parses)', () => {
    expect(jsonForScript(undefined)).toBe('null');
  });

  it('jsonForScript - any JSON value round-trips and contains no <, >, &, U+2028, U+2029 (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = jsonForScript(v);
        return !/[<>&\u2028\u2029]/.test(text) && fc.stringify(JSON.parse(text)) === fc.stringify(JSON.parse(JSON.stringify(v)));
      }),
    );
  });
});
