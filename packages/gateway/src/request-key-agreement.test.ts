/**
 * One rule for request keys (core `request-key.ts`): for arbitrary requests, the router's query
 * conditions, the hashing balancers' hash policies, the splitter's sticky keys and canary
 * selectors, the limiter's key sources and the rewrite's `${query.x}` placeholders read the same
 * value for the same key. Before this rule the splitter and the rewrite decoded query values
 * (`?user=a%20b` was `a b` to the split and `a%20b` to the route and the ring hash), so a user's
 * canary assignment and sticky endpoint were keyed on different strings.
 */
import { attributeText, cookieValue, decodeQueryComponent, IssueCollector, queryValue, type SyRequest } from '@switchyard/core';
import { hashByAttribute, hashByCookie, hashByQueryParameter, hashPolicyValue } from '@switchyard/balancers';
import { keys } from '@switchyard/limiter';
import { compileTemplate, renderTemplate } from '@switchyard/rewrite';
import { compileRoutes, match } from '@switchyard/router';
import { compileSplit, decideSplit, readKey } from '@switchyard/splitter';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const rng = { next: () => 0.5 };
const NAMES = ['user', 'u%73er', 'a+b', 'k'];
const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'user', 'k', '%', '20', '%73', '+', '=', ' ', '"', 'é'), maxLength: 4 });
const queryArb = fc.array(fc.tuple(fc.constantFrom(...NAMES, 'x'), fc.option(piece, { nil: undefined })), { maxLength: 5 }).map((pairs) =>
  pairs.map(([n, v]) => (v === undefined ? n : `${n}=${v}`)).join('&').replace(/ /g, '%20'),
);
const cookieArb = fc.array(fc.tuple(fc.constantFrom(...NAMES, ' user'), piece), { maxLength: 4 }).map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('; '));
const attrArb = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined), fc.constant({ nested: 1 }));

function request(query: string, cookie: string, attr: unknown): SyRequest {
  return { method: 'GET', scheme: 'http', authority: 'a', path: '/p', query, headers: cookie === '' ? {} : { cookie }, attributes: { user: attr } };
}

describe('request keys: one reading for router, balancers, splitter, limiter and rewrite', () => {
  it('property - a query parameter is the same raw string to every reader (the rewrite decodes it once for substitution)', () => {
    fc.assert(
      fc.property(queryArb, fc.constantFrom(...NAMES), (query, name) => {
        const req = request(query, '', undefined);
        const v = queryValue(query, name);
        // Balancers: the query_parameter hash policy.
        expect(hashPolicyValue(hashByQueryParameter(name), req)).toBe(v);
        // Splitter: the sticky key (empty means no key) and the canary selector.
        expect(readKey([{ query: name }], req)).toBe(v === '' ? undefined : v);
        const split = compileSplit({
          name: 's',
          backends: [{ name: 'stable', weight: 100 }, { name: 'canary', weight: 0 }],
          canary: [{ backend: 'canary', when: { query: name, value: v ?? '\u0000never' } }],
        });
        expect(decideSplit(split, req, rng)).toMatchObject({ kind: 'backend', backend: v === undefined ? 'stable' : 'canary' });
        // Router: an Exact condition on the value the others read matches, and Present agrees.
        if (v !== undefined) {
          const table = compileRoutes({ routes: [{ id: 'q', matches: [{ queryParams: [{ name, type: 'Exact', value: v }] }] }] });
          expect(match(table, { ...req }, { rng }).kind).toBe('matched');
        }
        const present = compileRoutes({ routes: [{ id: 'q', matches: [{ queryParams: [{ name, type: 'RegularExpression', value: '.*' }] }] }] });
        expect(match(present, { ...req }, { rng }).kind).toBe(v === undefined ? 'no-route' : 'matched');
        // Rewrite: `${query.name}` in a header is the same parameter, decoded once.
        const t = compileTemplate(`\${query.${name}}`, 'header', new IssueCollector(), 't');
        const rendered = renderTemplate(t, { request: req, params: undefined, query: undefined, upstream: undefined });
        expect(rendered ?? undefined).toBe(v === undefined ? (rendered ?? undefined) : decodeQueryComponent(v));
        if (v === undefined) expect(rendered === undefined || rendered === '').toBe(true);
      }),
    );
  });

  it('property - a cookie is the same string to the hash policy and the sticky key', () => {
    fc.assert(
      fc.property(cookieArb, fc.constantFrom(...NAMES), (cookie, name) => {
        const req = request('', cookie, undefined);
        const v = cookieValue(cookie === '' ? undefined : cookie, name);
        expect(hashPolicyValue(hashByCookie(name), req)).toBe(v);
        expect(readKey([{ cookie: name }], req)).toBe(v === '' ? undefined : v);
      }),
    );
  });

  it('property - an attribute is the same text to the hash policy, the sticky key, the limiter and the rewrite', () => {
    fc.assert(
      fc.property(attrArb, (attr) => {
        const req = request('', '', attr);
        const v = attributeText(req, 'user');
        expect(hashPolicyValue(hashByAttribute('user'), req)).toBe(v);
        expect(readKey([{ attribute: 'user' }], req)).toBe(v === '' ? undefined : v);
        expect(keys.attribute('user')(req)).toBe(v);
        const t = compileTemplate('${attributes.user}', 'header', new IssueCollector(), 't');
        const rendered = renderTemplate(t, { request: req, params: undefined, query: undefined, upstream: undefined });
        if (v !== undefined && v !== '') expect(rendered).toBe(v);
      }),
    );
  });

  it('regression - ?user=a%20b keys the split and the ring hash on the same string', () => {
    const req = request('user=a%20b', '', undefined);
    expect(readKey([{ query: 'user' }], req)).toBe('a%20b');
    expect(hashPolicyValue(hashByQueryParameter('user'), req)).toBe('a%20b');
  });
});
