/**
 * `gateway.admin()` in a real headless Chromium (Debian's `chromium`, driven by playwright-core):
 * an Express app on 127.0.0.1 proxies a scripted traffic run through the switchyard middleware
 * and serves the dashboard under `/admin`; the page must load without console errors, show the
 * numbers of the run, and follow when the traffic changes. The gateway runs on the test clock
 * (the scripted run advances it between requests), so every number is exact; the page polls on
 * the browser's own timer, and the test waits for conditions in the page, never for time.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createGateway, fromNodeRequest, writeNodeResponse, type AdminHandler, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng, type MockTransport, type TestClock } from '@switchyard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { switchyard } from '../src/index.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();

const route = (weights: readonly [number, number], rollout = false): GatewayConfig['routes'][number] => ({
  name: 'shop',
  matches: [{ path: { type: 'PathPrefix', value: '/shop' } }],
  backends: [
    { name: 'v1', upstream: 'shop', subset: { version: 'v1' }, ...(rollout ? {} : { weight: weights[0] }) },
    { name: 'v2', upstream: 'shop', subset: { version: 'v2' }, ...(rollout ? {} : { weight: weights[1] }) },
  ],
  split: { key: { header: 'x-user-id' } },
  retry: { numRetries: 0 },
  ...(rollout ? { rollout: { name: 'shop-v2', canary: 'v2', baseline: 'v1', steps: [10, 50, 100], analysisIntervalMs: 600_000 } } : {}),
});
const config = (weights: readonly [number, number], rollout = false): GatewayConfig => ({
  routes: [route(weights, rollout)],
  upstreams: {
    shop: {
      endpoints: [
        { id: 'v1a', url: 'http://10.0.1.1:80', metadata: { version: 'v1' } },
        { id: 'v2a', url: 'http://10.0.2.1:80', metadata: { version: 'v2' } },
      ],
    },
  },
});

interface Rig {
  readonly gateway: Gateway;
  readonly admin: AdminHandler;
  readonly clock: TestClock;
  readonly transport: MockTransport;
  readonly base: string;
}

let browser: Browser | undefined;
let page: Page | undefined;
const servers: Server[] = [];
const gateways: Gateway[] = [];
let consoleErrors: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
}, 60_000);
afterEach(async () => {
  await page?.close();
  page = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  for (const g of gateways.splice(0)) await g.stop();
});
afterAll(async () => {
  await browser?.close();
});

/** An Express app: the dashboard under /admin, the gateway in front of everything else. */
async function rig(cfg: GatewayConfig, adminOptions: Parameters<Gateway['admin']>[0] = {}): Promise<Rig> {
  const clock = createTestClock({ wallNow: Date.UTC(2026, 0, 1, 12) });
  const transport = createMockTransport({ clock });
  const gateway = createGateway(cfg, { transport, clock, rng: seededRng(3) });
  gateways.push(gateway);
  const admin = gateway.admin(adminOptions);
  const app = express();
  // The mount as docs/guides/dashboard.md shows it: the handler sees the path the client sent.
  app.use('/admin', (req, res, next) => {
    admin(fromNodeRequest(req, { url: req.originalUrl }))
      .then((response) => writeNodeResponse(res, response))
      .catch(next);
  });
  app.use(switchyard({ gateway }));
  const server = createServer(app);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { gateway, admin, clock, transport, base: `http://127.0.0.1:${port}` };
}

/** `n` requests over the real socket, users `from…`, the test clock advanced `everyMs` after each. */
async function traffic(r: Rig, from: number, n: number, everyMs: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = from; i < from + n; i++) {
    const res = await fetch(`${r.base}/shop/item`, { headers: { 'x-user-id': `user-${i}` } });
    await res.arrayBuffer();
    statuses.push(res.status);
    r.clock.advance(everyMs);
  }
  return statuses;
}

async function open(url: string): Promise<Page> {
  if (browser === undefined) throw new Error('no browser');
  const p = await browser.newPage();
  page = p;
  consoleErrors = [];
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  p.on('pageerror', (e) => consoleErrors.push(String(e)));
  // Self-contained: any request that is not the page's own origin is a failure.
  p.on('request', (req) => {
    if (!req.url().startsWith(new URL(url).origin)) consoleErrors.push(`external request: ${req.url()}`);
  });
  await p.goto(url);
  return p;
}

/** Waits until the cell `selector` reads `text`; on timeout, says what it read instead. */
async function waitForText(p: Page, selector: string, text: string): Promise<void> {
  try {
    await p.waitForFunction(([sel, want]) => document.querySelector(sel as string)?.textContent === want, [selector, text] as const, { timeout: 15_000 });
  } catch (e) {
    const got = await p.evaluate((sel) => document.querySelector(sel)?.textContent ?? '(missing)', selector);
    throw new Error(`${selector}: expected ${JSON.stringify(text)}, page shows ${JSON.stringify(got)}`, { cause: e });
  }
}

const cell = (routeName: string, field: string, backend?: string): string =>
  backend === undefined ? `tr.route[data-route="${routeName}"] td[data-field="${field}"]` : `tr.backend[data-route="${routeName}"][data-backend="${backend}"] td[data-field="${field}"]`;
/** The page's percentage format (one decimal). */
const pct = (x: number): string => `${(Math.round(x * 1000) / 10).toFixed(1)}%`;
const sentTo = (t: MockTransport, id: string): number => t.requests.filter((q) => q.endpoint.id === id).length;

// A browser on a shared two-core machine: room beyond the default 30 s, every wait still bounded.
describe('dashboard in headless Chromium', { timeout: 90_000 }, () => {
  it('shows the request counts, success rate and split weights of a scripted run, then follows the traffic as it changes', async () => {
    const r = await rig(config([80, 20]));
    r.transport.respondWith(() => ({ status: 200 }));
    const p = await open(`${r.base}/admin`);
    await waitForText(p, cell('shop', 'total'), '0');

    // Phase 1: 40 requests, one every 250 ms of gateway time (4 per second), all answered 200.
    expect(new Set(await traffic(r, 0, 40, 250))).toEqual(new Set([200]));
    await waitForText(p, cell('shop', 'total'), '40');
    await waitForText(p, cell('shop', 'window'), '40');
    await waitForText(p, cell('shop', 'rate'), '4.00');
    await waitForText(p, cell('shop', 'success'), '100.0%');
    await waitForText(p, cell('shop', 'weight', 'v1'), '80%');
    await waitForText(p, cell('shop', 'weight', 'v2'), '20%');
    await waitForText(p, cell('shop', 'total', 'v1'), String(sentTo(r.transport, 'v1a')));
    await waitForText(p, cell('shop', 'total', 'v2'), String(sentTo(r.transport, 'v2a')));
    await waitForText(p, cell('shop', 'name', 'v2'), 'v2 (v2)');

    // Phase 2: the split moves to 50/50 and v2 starts failing.
    r.gateway.reload(config([50, 50]));
    r.transport.respondWith((_q, e) => ({ status: e.id === 'v2a' ? 500 : 200 }));
    const before = sentTo(r.transport, 'v2a');
    const statuses = await traffic(r, 40, 40, 250);
    const failed = statuses.filter((s) => s === 500).length;
    expect(failed).toBe(sentTo(r.transport, 'v2a') - before);
    expect(failed).toBeGreaterThan(0);
    await waitForText(p, cell('shop', 'weight', 'v1'), '50%');
    await waitForText(p, cell('shop', 'weight', 'v2'), '50%');
    await waitForText(p, cell('shop', 'total'), '80');
    await waitForText(p, cell('shop', 'success'), pct((80 - failed) / 80));
    await waitForText(p, cell('shop', 'success', 'v2'), pct(before / sentTo(r.transport, 'v2a')));

    // Phase 3: a minute of silence slides everything out of the window; the totals stay.
    r.clock.advance(60_000);
    await waitForText(p, cell('shop', 'window'), '0');
    await waitForText(p, cell('shop', 'success'), '–');
    await waitForText(p, cell('shop', 'total'), '80');

    expect(consoleErrors).toEqual([]);
  });

  it('rollout operations: buttons only with a token configured, the token sent as a header, the page showing the new phase', async () => {
    const r = await rig(config([0, 0], true), { operationsToken: 'dashboard-test-token' });
    r.transport.respondWith(() => ({ status: 200 }));
    const p = await open(`${r.base}/admin/`);
    await waitForText(p, '[data-rollout="shop"] [data-field="phase"]', 'progressing');
    await waitForText(p, cell('shop', 'weight', 'v2'), '10%');
    await p.fill('#token', 'dashboard-test-token');
    await p.fill('[data-rollout="shop"] input[aria-label="reason"]', 'errors in checkout');
    // Regression: the page redraws every second; what the user typed (and the focus) survive it.
    const seen = Number(await p.getAttribute('body', 'data-updates'));
    await p.waitForFunction((n) => Number(document.body.getAttribute('data-updates')) >= n + 2, seen, { timeout: 15_000 });
    expect(await p.inputValue('[data-rollout="shop"] input[aria-label="reason"]')).toBe('errors in checkout');
    expect(await p.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('reason');
    await p.click('[data-rollout="shop"] button[data-op="abort"]');
    await waitForText(p, '#op-result', 'abort shop: done');
    await waitForText(p, '[data-rollout="shop"] [data-field="phase"]', 'aborted');
    await waitForText(p, cell('shop', 'weight', 'v2'), '0%');
    await waitForText(p, '[data-rollout="shop"] tbody tr:first-child td[data-field="type"]', 'aborted');
    expect(await p.textContent('[data-rollout="shop"] tbody tr:first-child td[data-field="reason"]')).toContain('errors in checkout');
    expect(r.gateway.rollouts.status()[0]?.phase).toBe('aborted');
    expect(consoleErrors).toEqual([]);
  });

  it('read-only by default: no operations bar and no buttons', async () => {
    const r = await rig(config([0, 0], true));
    const p = await open(`${r.base}/admin/index.html`);
    await waitForText(p, '[data-rollout="shop"] [data-field="phase"]', 'progressing');
    expect(await p.isVisible('#token')).toBe(false);
    expect(await p.$$('button[data-op]')).toHaveLength(0);
    expect(consoleErrors).toEqual([]);
  });
});
