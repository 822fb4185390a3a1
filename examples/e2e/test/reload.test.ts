/**
 * `gateway.reload(config)` with requests in flight over real HTTP: requests that started
 * before the swap finish on the old plan (including the response-header rewrite applied when
 * their response arrives after the swap, and a body still streaming), requests after it use the
 * new plan, and nothing is dropped.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { GatewayConfig } from '@switchyard/gateway';
import { client, startGateway, startUpstream, text, until } from './harness.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

function config(upstreamUrl: string, plan: 'old' | 'new'): GatewayConfig {
  return {
    routes: [
      {
        name: 'api',
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        backends: [{ upstream: 'svc' }],
        timeoutMs: 0,
        rewrite: {
          path: { type: 'ReplacePrefixMatch', replacePrefixMatch: `/${plan}` },
          requestHeaders: { set: { 'x-plan': plan } },
          responseHeaders: { set: { 'x-plan': plan } },
        },
      },
    ],
    upstreams: { svc: { endpoints: [{ url: upstreamUrl }], balancer: { policy: 'peak-ewma' } } },
  };
}

describe('reload during in-flight requests', () => {
  it('in-flight requests finish on the old plan, new ones use the new plan, none is dropped', async () => {
    // The upstream holds every request until released; `/stream` ones get their head and a
    // first chunk at once and the rest on release.
    const held: { url: string; plan: string; res: ServerResponse }[] = [];
    const up = await startUpstream((req, res) => {
      const url = req.url ?? '';
      if (url.includes('/stream')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write(`${url}|first|`);
      }
      held.push({ url, plan: String(req.headers['x-plan']), res });
    });
    const gw = await startGateway(config(up.url, 'old'));
    const dispatcher = client(32);
    cleanup.push(() => up.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));

    const send = async (path: string) => {
      const res = await request(`${gw.url}${path}`, { dispatcher });
      return { status: res.statusCode, plan: res.headers['x-plan'], body: await text(res.body as AsyncIterable<Buffer>) };
    };

    const before = Array.from({ length: 5 }, (_, i) => send(`/api/before/${i}`));
    const streamRes = await request(`${gw.url}/api/stream/0`, { dispatcher });
    const streamIt = (streamRes.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const streamFirst = String((await streamIt.next()).value);
    await until(() => held.length === 6, () => `six requests held upstream (${held.length})`);

    const reloads = gw.events.filter((e) => e.kind === 'reload').length;
    gw.gateway.reload(config(up.url, 'new'));
    expect(gw.events.filter((e) => e.kind === 'reload').length).toBe(reloads + 1);

    const after = Array.from({ length: 5 }, (_, i) => send(`/api/after/${i}`));
    await until(() => held.length === 11, () => `eleven requests held upstream (${held.length})`);

    // What the upstream saw: the old rewrite before the swap, the new one after.
    expect(held.filter((h) => h.url.startsWith('/old/')).map((h) => h.plan)).toEqual(Array(6).fill('old'));
    expect(held.filter((h) => h.url.startsWith('/new/after/')).map((h) => h.plan)).toEqual(Array(5).fill('new'));

    for (const h of held) h.res.end(h.url.includes('/stream') ? 'rest' : `done:${h.url}`);

    const beforeResults = await Promise.all(before);
    const afterResults = await Promise.all(after);
    // Responses that arrived after the swap still get the old plan's response rewrite.
    for (const [i, r] of beforeResults.entries()) expect(r).toEqual({ status: 200, plan: 'old', body: `done:/old/before/${i}` });
    for (const [i, r] of afterResults.entries()) expect(r).toEqual({ status: 200, plan: 'new', body: `done:/new/after/${i}` });
    // The body that was streaming across the swap completed, under its old headers.
    expect(streamRes.statusCode).toBe(200);
    expect(streamRes.headers['x-plan']).toBe('old');
    let rest = '';
    for (let n = await streamIt.next(); n.done !== true; n = await streamIt.next()) rest += String(n.value);
    expect(streamFirst + rest).toBe('/old/stream/0|first|rest');

    // The endpoint stayed: one pool, its connections reused rather than reopened per plan.
    expect(gw.transport.stats().map((s) => s.origin)).toEqual([up.url]);
    expect(up.accepted()).toBeLessThanOrEqual(11);
    await until(() => gw.active() === 0, 'every handler finished');
    for (const r of gw.records) expect([r.writeHeads, r.finishes, r.closes, r.handlerErrors]).toEqual([1, 1, 1, 0]);
  }, 30_000);

  it('an invalid reload throws and leaves the running plan serving', async () => {
    const up = await startUpstream((req, res) => res.end(`${req.url}`));
    const gw = await startGateway(config(up.url, 'old'));
    const dispatcher = client(4);
    cleanup.push(() => up.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));

    const bad = { ...config(up.url, 'new'), upstreams: { svc: { endpoints: [{ url: 'not a url' }] } } };
    expect(() => gw.gateway.reload(bad)).toThrow(/upstreams/);
    const res = await request(`${gw.url}/api/x`, { dispatcher });
    expect(res.headers['x-plan']).toBe('old');
    expect(await res.body.text()).toBe('/old/x');
  });
});
