/**
 * Error bodies never show an upstream's internal address (host, IP, port, URL): each way an
 * upstream can fail over real sockets (connect refused, connection reset, timeout, DNS
 * failure) through the middleware (mounted at `/api`), with the gateway's default error format; the same failures
 * with `exposeErrorDetails` (the debug option) show the address in `detail`. The timeout runs
 * on the test clock: the upstream holds the request and the test moves time past the deadline.
 */
import type { Gateway } from '@switchyard/gateway';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServers, expectDetail, expectNoAddress, failing, fetchThrough, gatewayFor, serve, type Failure, type Kind } from './failing-upstreams.js';
import { switchyard, type SwitchyardExpressError } from '../src/index.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
  await closeServers();
});



async function proxyTo(f: Failure, exposeErrorDetails: boolean, errors: 'respond' | 'next' = 'respond', onError: (seen: () => SwitchyardExpressError | undefined) => void = () => {}): Promise<{ status: number; text: string }> {
  const { gateway, clock } = gatewayFor(f, exposeErrorDetails);
  gateways.push(gateway);
  const app = express();
  app.use('/api', switchyard({ gateway, ...(errors === 'next' ? { errors } : {}) }));
  let seen: SwitchyardExpressError | undefined;
  // Your error middleware, as with `errors: 'next'`.
  app.use((err: SwitchyardExpressError, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    seen = err;
    res.status(err.statusCode).type('text/plain').send(`handled by the app: ${err.code}`);
  });
  const port = await serve(app);
  onError(() => seen);
  return fetchThrough(`http://127.0.0.1:${port}/api/orders/7`, f, clock);
}

describe('express - error bodies keep upstream addresses private', () => {
  const KINDS: readonly Kind[] = ['connect refused', 'connection reset', 'per-try timeout', 'route timeout', 'DNS failure'];

  it.each(KINDS)('%s: the default body names the error, not the upstream', async (kind) => {
    const f = await failing(kind);
    const { status, text } = await proxyTo(f, false);
    expectNoAddress(f, status, text);
  });

  it.each(KINDS)('%s: exposeErrorDetails (debug) shows the internal message in detail', async (kind) => {
    const f = await failing(kind);
    const { text } = await proxyTo(f, true);
    expectDetail(kind, f, text);
  });

  it.each(KINDS)("%s: errors: 'next' hands a SwitchyardError to the app's error middleware, without the address", async (kind) => {
    const f = await failing(kind);
    let seen: () => SwitchyardExpressError | undefined = () => undefined;
    const { status, text } = await proxyTo(f, false, 'next', (s) => (seen = s));
    const err = seen();
    expect(err?.name).toBe('SwitchyardError');
    expect(err?.statusCode).toBe(status);
    expect(err?.expose).toBe(false);
    expect(text).toContain(`handled by the app: ${err?.code}`);
    for (const secret of f.secrets) expect(`${err?.message} ${text}`).not.toContain(secret);
  });
});
