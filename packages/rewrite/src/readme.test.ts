// The README example, verbatim, with its comments turned into assertions.
import type { SyRequest } from '@switchyard/core';
import { expect, it } from 'vitest';
import { applyRewrite, compileRewrite } from './index.js';

it('README example - the three Why-section rewrites and two attacks', () => {
  const request = (path: string, query = ''): SyRequest => ({
    method: 'GET', scheme: 'https', authority: 'api.example.com', path, query,
    headers: { 'x-tenant': 'acme', connection: 'keep-alive' }, clientAddress: '203.0.113.7', attributes: {},
  });

  const orders = compileRewrite({ url: 'https://orders.internal/orders/${params.id}' });
  const a = applyRewrite(orders, { request: request('/api/v2/orders/42', 'expand=items'), params: { id: '42' } });
  expect(a.kind === 'forward' && [a.upstream.origin, a.request.path, a.request.headers]).toEqual([
    'https://orders.internal',
    '/orders/42?expand=items',
    { 'x-tenant': 'acme', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com', host: 'api.example.com' },
  ]);

  const reviews = compileRewrite({
    upstream: 'http://reviews.internal:8080',
    path: { type: 'Template', template: '/reviews' },
    query: { set: { productId: '${params.id}' } },
  });
  const b = applyRewrite(reviews, { request: request('/products/p-9/reviews'), params: { id: 'p-9' } });
  expect(b.kind === 'forward' && b.request.path).toBe('/reviews?productId=p-9');

  const unversioned = compileRewrite({ path: { type: 'StripPrefix', prefix: '/v1' } });
  const c = applyRewrite(unversioned, { request: request('/v1/users/7'), upstream: 'http://users.internal' });
  expect(c.kind === 'forward' && c.request.path).toBe('/users/7');

  const d = applyRewrite(orders, { request: request('/api/v2/orders/x'), params: { id: '//evil.example' } });
  expect(d.kind === 'forward' && [d.upstream.origin, d.request.path]).toEqual(['https://orders.internal', '/orders/%2F%2Fevil.example']);
  const e = applyRewrite(orders, { request: request('/api/v2/orders/x'), params: { id: '..' } });
  expect(e.kind === 'rejected' && [e.reason, e.error.code]).toEqual(['unsafe-path', 'SY_BAD_REQUEST']);
});
