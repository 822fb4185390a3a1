/**
 * The migration guide's before/after examples, run: each pair answers the same script against
 * the same local upstream, and what a client observes (status, the path the upstream saw, the
 * compared headers) must be the same, except where docs/guides/migrating.md says it differs:
 * `Retry-After` (the peers' fixed window says when the window ends, up to 60 s here;
 * switchyard's token bucket when one request fits again, 20 s for 3 a minute: both are
 * checked to be whole seconds in (0, 60]); `X-RateLimit-Reset` is not compared
 * (express-rate-limit sends a Unix time, switchyard and @fastify/rate-limit seconds from now).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observe, startSides, type Observed, type Side } from '../src/main.js';
import { startUpstream, type Upstream } from '../src/upstream.js';

let upstream: Upstream;
let sides: Awaited<ReturnType<typeof startSides>>;

beforeAll(async () => {
  upstream = await startUpstream();
  sides = await startSides(upstream.url);
});

afterAll(async () => {
  for (const side of Object.values(sides ?? {})) await (side as Side).stop();
  await upstream?.close();
});

/** The five answers, as `[status, seen, headers]` rows; a Retry-After checked and replaced by its range. */
const rows = (o: readonly Observed[], body429: 'compare' | 'shape' = 'compare') =>
  o.map((x) => {
    const retryAfter = x.headers['retry-after'];
    if (retryAfter === undefined) return [x.status, x.seen, x.headers];
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    // @fastify/rate-limit words the wait ("retry in 1 minute"): its 429 body is compared by shape below.
    return [x.status, body429 === 'shape' ? '(429 body)' : x.seen, { ...x.headers, 'retry-after': '(0, 60]' }];
  });

describe('example migrating', () => {
  it('@fastify/http-proxy + @fastify/rate-limit → @switchyard/fastify: same paths, statuses and headers', async () => {
    const before = await observe(sides.fastifyBefore.url);
    const after = await observe(sides.fastifyAfter.url);
    expect(rows(after, 'shape')).toEqual(rows(before, 'shape'));
    // What the rows hold, spelled out.
    expect(before.map((o) => o.status)).toEqual([200, 201, 200, 200, 429]);
    expect(before.map((o) => o.seen).slice(0, 4)).toEqual(['GET /v1/orders?status=open', 'POST /v1/orders', 'ok', 'GET /v1/orders/7']);
    expect(before[1]?.headers['location']).toBe('/api/orders/42');
    expect(before[0]?.headers['x-proxied-by']).toBe('edge');
    expect(before[0]?.headers['x-ratelimit-remaining']).toBe('2');
    expect(before[2]?.headers['x-ratelimit-limit']).toBeUndefined();
    expect(Number(before[4]?.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('the 429 has Fastify’s error shape on both sides', async () => {
    const body = async (url: string) => {
      const res = await fetch(`${url}/api/orders`);
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const [b, a] = [await body(sides.fastifyBefore.url), await body(sides.fastifyAfter.url)];
    expect(a.status).toBe(429);
    expect(b.status).toBe(429);
    expect(Object.keys(a.json).sort()).toEqual(Object.keys(b.json).sort());
    expect({ statusCode: a.json['statusCode'], error: a.json['error'] }).toEqual({ statusCode: b.json['statusCode'], error: b.json['error'] });
    expect(a.json['message']).toMatch(/^Rate limit exceeded, retry in \d+ seconds$/);
  });

  it('http-proxy-middleware + express-rate-limit → @switchyard/express: same paths, statuses and headers, the same 429 text', async () => {
    const before = await observe(sides.expressBefore.url);
    const after = await observe(sides.expressAfter.url);
    expect(rows(after)).toEqual(rows(before));
    expect(before.map((o) => o.status)).toEqual([200, 201, 200, 200, 429]);
    expect(before.map((o) => o.seen)).toEqual(['GET /v1/orders?status=open', 'POST /v1/orders', 'ok', 'GET /v1/orders/7', 'Too many requests, please try again later.']);
    // http-proxy-middleware leaves Location alone (no autoRewrite): so does switchyard's Express adapter.
    expect(before[1]?.headers['location']).toBe('/v1/orders/42');
    expect(before[0]?.headers['x-proxied-by']).toBe('edge');
  });
});
