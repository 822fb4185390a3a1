import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRoutes, match } from './index.js';

/** Reference: the template's params read segment by segment from the normalized path. */
function reference(template: string, path: string): Record<string, string> {
  const t = template.slice(1).split('/');
  const p = path.slice(1).split('/');
  const out: Record<string, string> = {};
  const dec = (v: string): string => {
    try {
      return decodeURIComponent(v);
    } catch {
      return v;
    }
  };
  t.forEach((s, i) => {
    if (s.startsWith(':')) out[s.slice(1)] = dec(p[i] as string);
    else if (s.startsWith('*')) out[s.length === 1 ? '*' : s.slice(1)] = dec(p.slice(i).join('/'));
  });
  return out;
}

const value = fc.oneof(
  fc.constantFrom('x', '42', 'hello%20world', 'caf%C3%A9', '%E2%82%AC', 'a.b', 'A', '%zz'),
  fc.stringMatching(/^[A-Za-z0-9_~-]{1,6}$/),
);

describe('params', () => {
  it('property: template params equal the segments of the matched path, percent-decoded', () => {
    const template = fc
      .array(fc.constantFrom('a', 'b', ':p', ':q', ':r'), { minLength: 1, maxLength: 4 })
      .chain((segs) => fc.boolean().map((tail) => (tail ? [...segs, '*rest'] : segs)))
      .map((segs) => {
        const seen = new Set<string>();
        return `/${segs.map((s) => (s.startsWith(':') && seen.has(s) ? 'a' : (seen.add(s), s))).join('/')}`;
      });
    fc.assert(
      fc.property(template, fc.array(value, { minLength: 8, maxLength: 8 }), fc.array(value, { maxLength: 3 }), fc.boolean(), (tpl, vals, rest, ic) => {
        let k = 0;
        const segs = tpl
          .slice(1)
          .split('/')
          .flatMap((s) => (s.startsWith(':') ? [vals[k++] as string] : s.startsWith('*') ? (rest.length > 0 ? rest : ['']) : [s]));
        const path = `/${segs.join('/')}`;
        const t = compileRoutes({ routes: [{ id: 't', matches: [{ path: { type: 'Template', value: tpl, ignoreCase: ic } }] }] });
        const r = match(t, { method: 'GET', path });
        if (path.includes('%zz')) {
          expect(r.kind).toBe('bad-request');
          return;
        }
        expect(r.kind).toBe('matched');
        if (r.kind !== 'matched') return;
        expect(r.params).toEqual(reference(tpl, r.path));
        // Built once: the same object on every read.
        expect(r.params).toBe(r.params);
      }),
      { numRuns: 1000 },
    );
  });

  it('params survive JSON.stringify; spreading a result leaves them out (an accessor on the prototype)', () => {
    const t = compileRoutes({ routes: [{ id: 'u', matches: [{ path: { type: 'Template', value: '/users/:id' } }] }] });
    const r = match(t, { method: 'GET', path: '/users/7' });
    expect(JSON.parse(JSON.stringify(r))).toEqual({ kind: 'matched', route: { id: 'u', index: 0, hostnames: [] }, matchIndex: 0, params: { id: '7' }, path: '/users/7' });
    expect(Object.keys(r)).toEqual(['kind', 'route', 'matchIndex', 'path']);
    expect('params' in { ...r }).toBe(false);
    expect(r).toMatchObject({ kind: 'matched', params: { id: '7' } });
  });

  it('named regex groups become params, decoded, only when read', () => {
    const t = compileRoutes({ routes: [{ id: 'o', matches: [{ path: { type: 'RegularExpression', value: '/o/(?<id>[^/]+)(?:/(?<sub>x))?' } }] }] });
    const r = match(t, { method: 'GET', path: '/o/caf%C3%A9' });
    expect(r.kind === 'matched' && r.params).toEqual({ id: 'café' });
  });
});
