import { describe, expect, it } from 'vitest';
import { createMockTransport, createTestClock } from '@switchyard/testing';
import { createGateway } from '../gateway.js';
import type { NodeRequestLike } from './node.js';
import { nodeUpgradeBinding } from './upgrade.js';

function upgradeRequest(url: string, headers: Record<string, string> = {}): NodeRequestLike {
  return {
    method: 'GET',
    url,
    headers: { host: 'gw.test', upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'k', ...headers },
    socket: { remoteAddress: '10.0.0.9' },
    async *[Symbol.asyncIterator]() {},
  };
}

function gateway() {
  const clock = createTestClock();
  return createGateway(
    {
      routes: [
        {
          name: 'ws',
          matches: [{ path: { type: 'PathPrefix', value: '/ws' } }, { path: { type: 'PathPrefix', value: '/admin' }, attributes: [{ key: 'role', equals: 'admin' }] }],
          backends: [{ upstream: 'chat' }],
          rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/socket' } },
        },
      ],
      upstreams: { chat: { endpoints: [{ id: 'a', url: 'http://10.1.1.1:9000' }] } },
    },
    { transport: createMockTransport({ clock }), clock },
  );
}

describe('nodeUpgradeBinding - the one gateway binding of every Node adapter', () => {
  it('converts with fromNodeRequest (socket peer, scheme option) and routes and rewrites through acquire', async () => {
    const g = gateway();
    const binding = nodeUpgradeBinding(g, { scheme: 'https' });
    const request = binding.toRequest(upgradeRequest('/ws/room?x=1'));
    expect(request).toMatchObject({ method: 'GET', scheme: 'https', path: '/ws/room', query: 'x=1', clientAddress: '10.0.0.9' });
    const acquired = await binding.acquire(request);
    expect(acquired.kind).toBe('endpoint');
    if (acquired.kind !== 'endpoint') return;
    expect(acquired.endpoint.id).toBe('a');
    expect(acquired.request.path).toBe('/socket/room?x=1');
    acquired.release();
  });

  it('attributes(req) reach routing', async () => {
    const g = gateway();
    const plain = nodeUpgradeBinding(g);
    const admin = nodeUpgradeBinding(g, { attributes: () => ({ role: 'admin' }) });
    expect((await plain.acquire(plain.toRequest(upgradeRequest('/admin')))).kind).toBe('respond');
    const routed = await admin.acquire(admin.toRequest(upgradeRequest('/admin')));
    expect(routed.kind).toBe('endpoint');
    if (routed.kind === 'endpoint') routed.release();
  });

  it('the dispatcher\'s own errors go through the gateway\'s formatter; the other options pass through', () => {
    const g = gateway();
    const onError = (): void => {};
    const now = (): number => 7;
    const binding = nodeUpgradeBinding(g, { onError, now, handshakeTimeoutMs: 1234 });
    expect(binding.onError).toBe(onError);
    expect(binding.now).toBe(now);
    expect(binding.handshakeTimeoutMs).toBe(1234);
    const res = binding.errorResponse!('SY_UPSTREAM_CONNECT', undefined, { message: 'internal detail 10.1.1.1', status: 502 });
    expect(res.status).toBe(502);
    expect(String(res.body)).toContain('SY_UPSTREAM_CONNECT');
    expect(String(res.body)).not.toContain('10.1.1.1');
    expect(nodeUpgradeBinding({ acquire: g.acquire }).errorResponse).toBeUndefined();
  });
});
