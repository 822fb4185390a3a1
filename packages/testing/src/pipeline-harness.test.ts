import { CONTINUE, definePolicy, type Policy, type StandardSchemaV1, type SyRequest } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { assertRouteOrder, createPipelineHarness } from './pipeline-harness.js';
import { createTestClock } from './test-clock.js';

const req = (headers: Record<string, string> = {}): SyRequest => ({ method: 'GET', scheme: 'https', authority: 'a', path: '/x', query: '', headers, attributes: {}, clientAddress: '203.0.113.1' });

const regionOptions: StandardSchemaV1<unknown, { header: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => (typeof (v as { header?: unknown }).header === 'string' ? { value: v as { header: string } } : { issues: [{ message: 'must be a string', path: ['header'] }] }),
  },
};
const pickRegion = definePolicy<{ header: string }>({
  type: 'pick-region',
  options: regionOptions,
  create: (o) => ({ type: 'pick-region', inbound: (r) => ({ kind: 'continue', backend: r.headers[o.header] === 'eu' ? 'eu' : 'us', attributes: { region: r.headers[o.header] } }) }),
});
const stamp = (name: string, finalizer = false): Policy => ({ type: 'stamp', finalizer, inbound: () => CONTINUE, outbound: (res) => ({ ...res, headers: { ...res.headers, [`x-${name}`]: '1' } }) });

describe('createPipelineHarness', () => {
  it('runs a definition with validated options and returns what it changed', async () => {
    const h = createPipelineHarness({ policies: [{ definition: pickRegion, options: { header: 'x-region' } }] });
    const r = await h.run(req({ 'x-region': 'eu' }));
    expect(r).toMatchObject({ outcome: 'continue', backend: 'eu', attributes: { region: 'eu' }, response: { status: 200 }, trace: ['in:pick-region-0'] });
    expect(() => createPipelineHarness({ policies: [{ definition: pickRegion, options: { header: 1 } }] })).toThrow('header: must be a string');
  });

  it('a reject stops the list, is formatted, and unwinds only the policies before it (finalizers too)', async () => {
    const deny: Policy = { type: 'deny', inbound: () => ({ kind: 'reject', code: 'SY_UNAUTHORIZED', message: 'no key', headers: { 'www-authenticate': 'ApiKey' } }) };
    const h = createPipelineHarness({ policies: [{ name: 'a', policy: stamp('a') }, { name: 'deny', policy: deny }, { name: 'b', policy: stamp('b') }, { name: 'cors', policy: stamp('cors', true) }] });
    const r = await h.run(req({ 'x-request-id': 'abc' }));
    expect(r.outcome).toBe('respond');
    expect(r.stoppedBy).toBe('deny');
    expect(r.rejection?.code).toBe('SY_UNAUTHORIZED');
    expect(r.response.status).toBe(401);
    expect(r.response.headers).toMatchObject({ 'www-authenticate': 'ApiKey', 'x-a': '1', 'x-cors': '1' });
    expect(r.response.headers['x-b']).toBeUndefined();
    expect(JSON.parse(String(r.response.body))).toEqual({ error: 'SY_UNAUTHORIZED', message: 'no key', requestId: 'abc' });
    expect(r.trace).toEqual(['in:a', 'in:deny', 'out:cors', 'out:a']);
  });

  it('passes the upstream response through the outbound side, on the fake clock', async () => {
    const clock = createTestClock();
    clock.advance(1234);
    let seen = -1;
    const timing: Policy = { type: 'timing', inbound: (_r, ctx) => ((seen = ctx.now), CONTINUE), outbound: (res) => ({ ...res, status: res.status + 1 }) };
    const h = createPipelineHarness({ clock, policies: [timing] });
    const r = await h.run(req(), { upstream: { status: 502, headers: {}, body: null } });
    expect(seen).toBe(clock.now());
    expect(r.response.status).toBe(503);
  });

  it('a throwing policy answers 500 and the error is kept', async () => {
    const h = createPipelineHarness({ policies: [{ type: 'boom', inbound: () => { throw new Error('x'); } }] });
    const r = await h.run(req());
    expect(r.response.status).toBe(500);
    expect((r.error as Error).message).toBe('x');
  });
});

describe('assertRouteOrder', () => {
  const gateway = {
    explain: (route: string) =>
      route === 'r'
        ? { inbound: [{ kind: 'policy', name: 'auth' }, { kind: 'policy', name: 'quota' }, { kind: 'stage', name: 'split' }], outbound: [{ name: 'quota' }, { name: 'auth' }] }
        : undefined,
  };
  it('passes on the compiled order and throws with both orders otherwise', () => {
    expect(() => assertRouteOrder(gateway, 'r', { inbound: ['auth', 'quota'], steps: ['auth', 'quota', 'split'], outbound: ['quota', 'auth'] })).not.toThrow();
    expect(() => assertRouteOrder(gateway, 'r', { inbound: ['quota', 'auth'] })).toThrow('inbound order is [auth, quota], expected [quota, auth]');
    expect(() => assertRouteOrder(gateway, 'nope', {})).toThrow('no route named "nope"');
  });
});
