// The complete example from README.md, kept here so that it keeps running.
import { expect, it } from 'vitest';
import {
  compose,
  createEndpoint,
  createEwma,
  formatRetryAfter,
  isSwitchyardError,
  murmur3,
  observeEwma,
  parseCidr,
  parseIp,
  cidrContains,
  SwitchyardError,
  type Handler,
  type Layer,
  type SyRequest,
} from '@switchyard/core';

it('composes a tiny policy chain from core primitives', async () => {
  // Endpoints are validated once; every problem is reported with its path.
  const endpoints = [
    createEndpoint({ id: 'a', url: 'http://10.0.0.1:8080' }, 'backends[0]'),
    createEndpoint({ id: 'b', url: 'http://10.0.0.2:8080' }, 'backends[1]'),
  ];
  const latency = new Map(endpoints.map((e) => [e.id, createEwma()]));

  type Res = { status: number; headers: Record<string, string>; endpoint?: string };

  // Layer 1 (outermost): turn SwitchyardErrors into responses with their HTTP status.
  const errors: Layer<SyRequest, Res> = (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      if (!isSwitchyardError(e)) throw e;
      return { status: e.status, headers: e.code === 'SY_RATE_LIMITED' ? { 'retry-after': formatRetryAfter(1_500) } : {} };
    }
  };
  // Layer 2: only clients from 10.0.0.0/8 are allowed.
  const internal = parseCidr('10.0.0.0/8')!;
  const allowlist: Layer<SyRequest, Res> = (next) => async (req) => {
    const ip = req.clientAddress === undefined ? undefined : parseIp(req.clientAddress);
    if (ip === undefined || !cidrContains(internal, ip)) throw new SwitchyardError('SY_RATE_LIMITED', 'not on the allow list');
    return next(req);
  };
  // Terminal: sticky pick by a hash of the user id (never the Rng), record a latency sample.
  let now = 0;
  const upstream: Handler<SyRequest, Res> = async (req) => {
    const endpoint = endpoints[murmur3(String(req.attributes['user'])) % endpoints.length]!;
    now += 10;
    observeEwma(latency.get(endpoint.id)!, 42, now, 10_000);
    return { status: 200, headers: {}, endpoint: endpoint.id };
  };

  const handler = compose([errors, allowlist], upstream);
  const request = (clientAddress: string, user: string): SyRequest => ({
    method: 'GET', scheme: 'http', authority: 'api.test', path: '/orders', query: '', headers: {}, clientAddress, attributes: { user },
  });

  const first = await handler(request('10.1.2.3', 'alice'));
  expect(first.status).toBe(200);
  expect((await handler(request('::ffff:10.9.9.9', 'alice'))).endpoint).toBe(first.endpoint); // sticky, mapped IPv4 allowed
  expect(await handler(request('203.0.113.7', 'alice'))).toEqual({ status: 429, headers: { 'retry-after': '2' } });
  expect(latency.get(first.endpoint!)!.value).toBe(42);
});
