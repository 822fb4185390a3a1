import { expect, it } from 'vitest';
import { formatMessage, importDocuments, parseYamlDocuments } from '../src/index.js';
import { backendOf, gatewayFor, req } from './harness.js';

it('README example: a Gateway API HTTPRoute imported and served, split 90/10 with its prefix rewrite', async () => {
  const yaml = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: reviews, namespace: default }
spec:
  hostnames: [bookinfo.example.com]
  rules:
  - matches: [{ path: { type: PathPrefix, value: /reviews } }]
    filters:
    - type: URLRewrite
      urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /v1/reviews } }
    backendRefs:
    - { name: reviews-v1, port: 9080, weight: 90 }
    - { name: reviews-v2, port: 9080, weight: 10 }
    timeouts: { request: 5s }
`;
  const { documents, problems: syntax } = parseYamlDocuments(yaml, 'reviews.yaml');
  const result = importDocuments(documents, {
    backends: { 'reviews-v1.default': [{ id: 'v1', url: 'http://10.0.0.11:9080' }], 'reviews-v2.default': [{ id: 'v2', url: 'http://10.0.0.12:9080' }] },
  });
  expect([...syntax, ...result.problems, ...result.warnings].map(formatMessage)).toEqual([]);
  expect(result.config.routes[0]).toMatchObject({
    name: 'default/reviews/rule-0',
    hostnames: ['bookinfo.example.com'],
    rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v1/reviews' } },
    backends: [{ upstream: 'reviews-v1.default', weight: 90 }, { upstream: 'reviews-v2.default', weight: 10 }],
    timeoutMs: 5000,
  });
  const t = gatewayFor(result, 2);
  const seen = new Set<string | number>();
  for (let i = 0; i < 100; i++) {
    const s = await t.send(req('/reviews/7', { authority: 'bookinfo.example.com' }));
    expect(s.upstream?.request.path).toBe('/v1/reviews/7');
    seen.add(backendOf(s));
  }
  expect([...seen].sort()).toEqual(['v1', 'v2']);
});
