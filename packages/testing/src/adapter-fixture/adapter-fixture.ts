/**
 * The one integration fixture every framework adapter runs through its framework's own request
 * path (`app.request()` for Hono, `fastify.inject()`, a real server or supertest for Express):
 * routing, 429 with headers, canary stickiness, retries, 503 with no healthy endpoint, 504
 * deadline, streaming and client abort. Same idea as hono's shared router suite: one scenario
 * list, many implementations.
 *
 * Runtime-neutral: the fixture never touches a socket or a timer. The adapter's test supplies
 * `setup` (build a gateway from the given config and deps, mount it in the framework, and say
 * how to send a request) and, when requests cross real I/O, `yieldToIo` (e.g. a `setImmediate`
 * promise) so sockets progress between steps of the fake clock. Needs vitest (optional peer).
 */
import type { Clock, Endpoint, Rng, Transport, TransportResult, TransportSendOptions, UpstreamRequest } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { createMockTransport, type MockReply, type MockTransport } from '../mock-transport.js';
import { seededRng } from '../seeded-rng.js';
import { createTestClock, type TestClock } from '../test-clock.js';

/** A request as the fixture sends it. */
export interface FixtureRequest {
  readonly method: string;
  /** Path and query, e.g. `/users/7?x=1`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** A response read whole. Header names lower-case. */
export interface FixtureResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** A response read chunk by chunk. */
export interface FixtureStream {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The next chunk as text, or `undefined` at the end of the body. */
  read(): Promise<string | undefined>;
  /** The client goes away (closes the socket, cancels the body stream). */
  abort(): void;
}

/** How the fixture reaches the gateway through one framework. */
export interface AdapterHarness {
  request(request: FixtureRequest): Promise<FixtureResponse>;
  stream(request: FixtureRequest): Promise<FixtureStream>;
  /** Closes servers and the gateway. */
  close(): Promise<void>;
}

/** What `setup` receives: pass them to `createGateway(config as GatewayConfig, { transport, clock, rng })`. */
export interface AdapterFixtureContext {
  /** A `GatewayConfig` (`unknown` here: `@switchyard/testing` does not depend on the gateway). */
  readonly config: unknown;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly rng: Rng;
}

/** Options of {@link describeAdapterFixture}. */
export interface AdapterFixtureOptions {
  /** Mounts a gateway built from the context in the framework, in proxy mode; unmatched paths must answer 404. */
  setup(context: AdapterFixtureContext): Promise<AdapterHarness> | AdapterHarness;
  /** Lets real I/O progress between clock steps (default: promise continuations only). */
  yieldToIo?: () => Promise<void>;
}

/**
 * The config of the adapters' decide-mode suites: one `/api` route with a v1/v2 split (v2 only
 * through the `x-stage: canary` selector), a `layout` experiment keyed on `x-user-id`, and one
 * limit of a single token per minute, keyed per client IP (`per-client`, with
 * `clientIdentity: { trustedProxies: [] }`) or per `x-user-id` header (`per-user`), with the
 * IETF rate-limit headers on (the gateway's default sends none). Typed
 * `object` so the testing kit needs no gateway types: cast it to `GatewayConfig`.
 */
export function decideModeConfig(limit: 'per-client' | 'per-user', options: { clientIdentity?: boolean } = {}): object {
  // Deliberately alike: simulate/src/html/real-scenario.ts (REAL_CONFIG) — two gateway config literals for different purposes (the adapters' decide-mode fixture vs the real-scenario page); alike because configs share their keys
  const key = limit === 'per-client' ? 'client-ip' : { header: 'x-user-id' };
  return {
    ...(limit === 'per-client' || options.clientIdentity === true ? { clientIdentity: { trustedProxies: [] } } : {}),
    routes: [
      {
        name: 'api',
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backends: [
          { name: 'v1', upstream: 'api', subset: { version: 'v1' }, weight: 1 },
          { name: 'v2', upstream: 'api', subset: { version: 'v2' }, weight: 0 },
        ],
        split: { canary: [{ backend: 'v2', when: { header: 'x-stage', value: 'canary' } }] },
        experiment: { name: 'layout', variants: [{ name: 'a' }, { name: 'b' }], key: { header: 'x-user-id' } },
        limits: [limit],
      },
    ],
    upstreams: {
      api: {
        endpoints: [
          { id: 'a1', url: 'http://10.0.0.1:80', metadata: { version: 'v1' } },
          { id: 'a2', url: 'http://10.0.0.2:80', metadata: { version: 'v2' } },
        ],
      },
    },
    limits: { [limit]: { key, policy: { maxTokens: 1, fillIntervalMs: 60_000 } } },
    rateLimitHeaders: 'ietf',
  };
}

/** The gateway config the scenarios run against. */
export const ADAPTER_FIXTURE_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  routes: [
    { name: 'users', matches: [{ path: { type: 'PathPrefix', value: '/users' } }], backends: [{ upstream: 'users' }] },
    {
      name: 'orders',
      matches: [{ path: { type: 'PathPrefix', value: '/orders' } }],
      backends: [{ upstream: 'orders' }],
      retry: { numRetries: 2, retryOn: ['5xx'] },
    },
    { name: 'limited', matches: [{ path: { type: 'PathPrefix', value: '/limited' } }], backends: [{ upstream: 'users' }], limits: ['tight'] },
    {
      name: 'catalog',
      matches: [{ path: { type: 'PathPrefix', value: '/catalog' } }],
      backends: [
        { name: 'v1', upstream: 'catalog', subset: { version: 'v1' }, weight: 50 },
        { name: 'v2', upstream: 'catalog', subset: { version: 'v2' }, weight: 50 },
      ],
      split: { key: { header: 'x-user-id' }, canary: [{ backend: 'v2', when: { header: 'x-stage', value: 'canary' } }] },
    },
    { name: 'fragile', matches: [{ path: { type: 'PathPrefix', value: '/fragile' } }], backends: [{ upstream: 'fragile' }], retry: { numRetries: 0 } },
    { name: 'slow', matches: [{ path: { type: 'PathPrefix', value: '/slow' } }], backends: [{ upstream: 'users' }], timeoutMs: 1_000, retry: { numRetries: 0 } },
    { name: 'stream', matches: [{ path: { type: 'PathPrefix', value: '/stream' } }], backends: [{ upstream: 'users' }] },
  ],
  upstreams: {
    users: { endpoints: [{ id: 'u1', url: 'http://10.0.0.1:8080' }] },
    orders: { endpoints: [{ id: 'o1', url: 'http://10.0.1.1:8080' }, { id: 'o2', url: 'http://10.0.1.2:8080' }] },
    catalog: {
      endpoints: [
        { id: 'c1', url: 'http://10.0.2.1:8080', metadata: { version: 'v1' } },
        { id: 'c2', url: 'http://10.0.2.2:8080', metadata: { version: 'v2' } },
      ],
    },
    fragile: {
      endpoints: [{ id: 'f1', url: 'http://10.0.3.1:8080' }],
      panicThresholdPercent: 0,
      outlierDetection: { consecutive5xx: 1, maxEjectionPercent: 100, baseEjectionTimeMs: 60_000 },
    },
  },
  limits: { tight: { key: 'global', policy: { maxTokens: 2, fillIntervalMs: 3_600_000 } } },
  // The gateway's default sends none (as Envoy); the fixture checks the IETF fields reach the client.
  rateLimitHeaders: 'ietf',
});

const STREAM_CHUNKS = ['one,', 'two,', 'three,', 'four,', 'five'];
const STREAM_GAP_MS = 100;
const ABORT_CHUNKS = 20;

/** The upstream the scenarios talk to, scripted by path. */
function upstreamReply(request: UpstreamRequest, endpoint: Endpoint): MockReply {
  const path = request.path;
  if (path.startsWith('/slow')) return { hang: true };
  if (path.startsWith('/fragile')) return { status: 500, body: 'broken' };
  if (path.startsWith('/stream/abort')) return { status: 200, headers: { 'content-type': 'text/plain' }, body: Array.from({ length: ABORT_CHUNKS }, (_, i) => `c${i};`), chunkDelayMs: STREAM_GAP_MS };
  if (path.startsWith('/stream')) return { status: 200, headers: { 'content-type': 'text/plain' }, body: STREAM_CHUNKS, chunkDelayMs: STREAM_GAP_MS };
  return { status: 200, headers: { 'content-type': 'text/plain', 'x-upstream': endpoint.id }, body: `${endpoint.id} ${request.method} ${path}` };
}

/** Upstream response bodies: how many chunks were pulled and whether the reader closed them early. */
interface BodyTracker {
  pulled: number;
  returned: boolean;
}

/** Wraps the mock so the fixture sees how far each upstream body was read. */
function trackingTransport(mock: MockTransport, bodies: BodyTracker[]): Transport {
  return {
    async send(request: UpstreamRequest, endpoint: Endpoint, options: TransportSendOptions): Promise<TransportResult> {
      const result = await mock.send(request, endpoint, options);
      if (result.kind !== 'response') return result;
      const body = result.response.body;
      if (body === null || typeof body === 'string' || body instanceof Uint8Array) return result;
      const tracker: BodyTracker = { pulled: 0, returned: false };
      bodies.push(tracker);
      const wrapped: AsyncIterable<Uint8Array> = {
        [Symbol.asyncIterator]() {
          const it = body[Symbol.asyncIterator]();
          return {
            async next() {
              const n = await it.next();
              if (n.done !== true) tracker.pulled++;
              return n;
            },
            async return(value?: unknown) {
              tracker.returned = true;
              return (await it.return?.(value)) ?? { done: true, value: undefined };
            },
          };
        },
      };
      return { kind: 'response', response: { ...result.response, body: wrapped } };
    },
  };
}

interface World {
  readonly clock: TestClock;
  readonly mock: MockTransport;
  readonly bodies: BodyTracker[];
  readonly harness: AdapterHarness;
  /** Runs the fake clock (1 ms steps, I/O in between) until `p` settles or `maxMs` passes. */
  drive<T>(p: Promise<T>, maxMs?: number): Promise<T>;
  /** Runs the fake clock until `cond()` holds or `maxMs` passes. */
  until(cond: () => boolean, maxMs?: number): Promise<void>;
}

/**
 * Declares the adapter integration scenarios for one framework (vitest `describe`/`it`).
 *
 * Checked: a path routes to its upstream and unmatched paths answer 404; a limited route answers
 * 429 with `Retry-After` and RateLimit headers; a user stays on one canary version and the
 * canary opt-in header wins; a 503 is retried on the other endpoint; an upstream group with
 * every endpoint ejected answers 503 `SY_NO_ENDPOINT`; a hanging upstream answers 504 at the
 * route deadline with the try cancelled; a body streams chunk by chunk (the first chunk
 * arrives before the upstream has produced the last); a client that goes away mid-body stops
 * the upstream body from being read further.
 *
 * @example
 * ```ts
 * import { describeAdapterFixture } from '@switchyard/testing/vitest';
 * import { createGateway, type GatewayConfig } from '@switchyard/gateway';
 * describeAdapterFixture('hono', {
 *   setup: ({ config, transport, clock, rng }) => {
 *     const gateway = createGateway(config as GatewayConfig, { transport, clock, rng });
 *     const app = new Hono().use(switchyard({ gateway }));
 *     return honoHarness(app, gateway); // request / stream / close over app.request()
 *   },
 * });
 * ```
 */
export function describeAdapterFixture(name: string, options: AdapterFixtureOptions): void {
  const yieldToIo = options.yieldToIo ?? (async () => {});

  async function world(): Promise<World> {
    const clock = createTestClock();
    const mock = createMockTransport({ clock }).respondWith(upstreamReply);
    const bodies: BodyTracker[] = [];
    const harness = await options.setup({ config: ADAPTER_FIXTURE_CONFIG, transport: trackingTransport(mock, bodies), clock, rng: seededRng(7) });
    const until = async (cond: () => boolean, maxMs = 10_000): Promise<void> => {
      for (let t = 0; !cond() && t <= maxMs; t++) {
        await yieldToIo();
        if (cond()) break;
        await clock.advanceAsync(1);
      }
    };
    const drive = async <T>(p: Promise<T>, maxMs = 10_000): Promise<T> => {
      let settled = false;
      const tracked = p.finally(() => {
        settled = true;
      });
      tracked.catch(() => {});
      await until(() => settled, maxMs);
      if (!settled) throw new Error(`no answer after ${maxMs} ms of fake time`);
      return tracked;
    };
    return { clock, mock, bodies, harness, drive, until };
  }

  async function scenario(fn: (w: World) => Promise<void>): Promise<void> {
    const w = await world();
    try {
      await fn(w);
    } finally {
      await w.harness.close();
    }
  }

  const get = (path: string, headers: Readonly<Record<string, string>> = {}): FixtureRequest => ({ method: 'GET', path, headers });

  describe(`${name} - adapter fixture`, () => {
    it('routes by path to the right upstream and answers 404 for an unmatched path', () =>
      scenario(async (w) => {
        const res = await w.drive(w.harness.request(get('/users/7?full=1')));
        expect(res.status).toBe(200);
        // The upstream sees path and query as the client sent them.
        expect(res.body).toBe('u1 GET /users/7?full=1');
        expect(res.headers['x-upstream']).toBe('u1');
        const post = await w.drive(w.harness.request({ method: 'POST', path: '/users', headers: { 'content-type': 'application/json' }, body: '{"name":"ada"}' }));
        expect(post.status).toBe(200);
        expect(post.body).toBe('u1 POST /users');
        const missing = await w.drive(w.harness.request(get('/nowhere')));
        expect(missing.status).toBe(404);
        expect(w.mock.requests).toHaveLength(2);
      }));

    it('answers 429 with Retry-After and RateLimit headers once the limit is spent', () =>
      scenario(async (w) => {
        const first = await w.drive(w.harness.request(get('/limited/a')));
        expect(first.status).toBe(200);
        expect(first.headers['ratelimit'] ?? first.headers['ratelimit-remaining']).toBeDefined();
        expect((await w.drive(w.harness.request(get('/limited/a')))).status).toBe(200);
        const third = await w.drive(w.harness.request(get('/limited/a')));
        expect(third.status).toBe(429);
        expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(JSON.parse(third.body)).toMatchObject({ error: 'SY_RATE_LIMITED' });
        expect(w.mock.requests).toHaveLength(2);
      }));

    it('keeps each user on one canary version and lets the opt-in header pick the canary', () =>
      scenario(async (w) => {
        const seen = new Map<string, string>();
        for (let round = 0; round < 3; round++) {
          for (let u = 0; u < 12; u++) {
            const res = await w.drive(w.harness.request(get('/catalog/item', { 'x-user-id': `user-${u}` })));
            expect(res.status).toBe(200);
            const endpoint = res.headers['x-upstream'] as string;
            if (seen.has(`user-${u}`)) expect(endpoint).toBe(seen.get(`user-${u}`));
            seen.set(`user-${u}`, endpoint);
          }
        }
        // 12 users at 50/50: both versions serve someone (probability of not: 2 × 2^-12).
        expect(new Set(seen.values())).toEqual(new Set(['c1', 'c2']));
        const canary = await w.drive(w.harness.request(get('/catalog/item', { 'x-user-id': 'user-0', 'x-stage': 'canary' })));
        expect(canary.headers['x-upstream']).toBe('c2');
      }));

    it('retries a 503 on the other endpoint and answers with its response', () =>
      scenario(async (w) => {
        w.mock.enqueue({ status: 503, body: 'unavailable' });
        const res = await w.drive(w.harness.request(get('/orders/1')));
        expect(res.status).toBe(200);
        expect(w.mock.requests).toHaveLength(2);
        const [a, b] = w.mock.requests;
        expect(a?.endpoint.id).not.toBe(b?.endpoint.id);
        expect(res.body).toBe(`${b?.endpoint.id} GET /orders/1`);
      }));

    it('answers 503 SY_NO_ENDPOINT when every endpoint of the group is ejected', () =>
      scenario(async (w) => {
        const broken = await w.drive(w.harness.request(get('/fragile/x')));
        expect(broken.status).toBe(500);
        const res = await w.drive(w.harness.request(get('/fragile/x')));
        expect(res.status).toBe(503);
        expect(JSON.parse(res.body)).toMatchObject({ error: 'SY_NO_ENDPOINT' });
        expect(w.mock.requests).toHaveLength(1);
      }));

    it('answers 504 at the route deadline and cancels the hanging try', () =>
      scenario(async (w) => {
        const t0 = w.clock.now();
        const res = await w.drive(w.harness.request(get('/slow/x')));
        expect(res.status).toBe(504);
        expect(JSON.parse(res.body)).toMatchObject({ error: 'SY_DEADLINE_EXCEEDED' });
        expect(w.clock.now() - t0).toBeGreaterThanOrEqual(1_000);
        expect(w.mock.requests[0]?.aborted()).toBe(true);
      }));

    it('streams the body chunk by chunk instead of buffering it', () =>
      scenario(async (w) => {
        const t0 = w.clock.now();
        const s = await w.drive(w.harness.stream(get('/stream/x')));
        expect(s.status).toBe(200);
        let text = '';
        let firstAt: number | undefined;
        for (;;) {
          const chunk = await w.drive(s.read());
          if (chunk === undefined) break;
          firstAt ??= w.clock.now();
          text += chunk;
        }
        expect(text).toBe(STREAM_CHUNKS.join(''));
        // The upstream produces the last chunk at 5 × 100 ms: the first one came well before.
        expect((firstAt as number) - t0).toBeLessThan(STREAM_CHUNKS.length * STREAM_GAP_MS);
      }));

    it('stops reading the upstream body when the client goes away mid-response', () =>
      scenario(async (w) => {
        const s = await w.drive(w.harness.stream(get('/stream/abort')));
        expect(s.status).toBe(200);
        expect(await w.drive(s.read())).toMatch(/^c0;/);
        s.abort();
        await w.until(() => w.bodies[0]?.returned === true, 5_000);
        expect(w.bodies[0]?.returned).toBe(true);
        expect(w.bodies[0]?.pulled).toBeLessThan(ABORT_CHUNKS);
      }));
  });
}
