/**
 * A request body that fails for its size (a `SwitchyardError` `SY_BODY_TOO_LARGE` thrown by the
 * body source: `@switchyard/policies`' request-size-limit wraps streaming bodies so) is the
 * client's 413 `SY_BODY_TOO_LARGE`: never a 499 or a 502, and nobody upstream is blamed (no
 * breaker failure, no outlier ejection), on a route that streams the body and on one that
 * buffers it for retries. The transport here keeps the transports' contract for a failing body
 * source (undici and fetch: `canceled`, with the source's error as `cause`).
 */
import { SwitchyardError, type Endpoint, type SyRequest, type Transport, type TransportResult, type UpstreamRequest } from '@switchyard/core';
import { createTestClock, seededRng } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import type { GatewayConfig } from './config.js';
import type { GatewayEvent } from './events.js';
import { createGateway, responseCode } from './gateway.js';

/** Reads the whole request body as undici does; a failing source is `canceled` with it as `cause`. */
function drainingTransport(): Transport & { sent: number } {
  const t = {
    sent: 0,
    async send(request: UpstreamRequest, endpoint: Endpoint): Promise<TransportResult> {
      t.sent++;
      const body = request.body;
      if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        try {
          for await (const _chunk of body) void _chunk;
        } catch (err) {
          return { kind: 'error', error: 'canceled', message: `request body for ${endpoint.url} failed`, cause: err };
        }
      }
      return { kind: 'response', response: { status: 200, headers: {}, body: 'ok' } };
    },
  };
  return t;
}

/** An endless upload of 1 KiB chunks that fails once more than `maxBytes` were read (as `limitBody`). */
function limitedUpload(maxBytes: number): { body: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  return {
    pulled: () => pulled,
    body: {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          pulled++;
          if (pulled * 1024 > maxBytes) throw new SwitchyardError('SY_BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`);
          return { done: false, value: new Uint8Array(1024) };
        },
      }),
    },
  };
}

function config(retry: boolean): GatewayConfig {
  return {
    routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'u' }], ...(retry ? { retry: { numRetries: 2, retryOn: ['reset', 'connect-failure'] } } : {}) }],
    upstreams: {
      u: {
        endpoints: [{ id: 'a', url: 'http://10.0.0.1:8080' }],
        outlierDetection: { consecutiveGatewayFailure: 1, maxEjectionPercent: 100, intervalMs: 10, baseEjectionTimeMs: 30_000 },
        circuitBreaker: { policy: { kind: 'consecutive', maxFailures: 1 }, minOpenMs: 60_000 },
      },
    },
  };
}

const request = (body: SyRequest['body']): SyRequest => ({
  method: 'POST',
  scheme: 'http',
  authority: 'api.example.com',
  path: '/upload',
  query: '',
  headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
  clientAddress: '198.51.100.7',
  attributes: {},
  body,
});

describe('gateway - a request body over its size limit', () => {
  it.each([
    ['streams the body', false],
    ['buffers the body for retries', true],
  ])('route that %s: 413 SY_BODY_TOO_LARGE, nobody blamed, the upload not read past the limit', async (_name, retry) => {
    const clock = createTestClock();
    const transport = drainingTransport();
    const gateway = createGateway(config(retry), { transport, clock, rng: seededRng(3) });
    const events: GatewayEvent[] = [];
    gateway.subscribe((e) => events.push(e));
    const upload = limitedUpload(10_000);
    const res = await gateway.handle(request(upload.body));
    expect(res.status).toBe(413);
    expect(responseCode(res)).toBe('SY_BODY_TOO_LARGE');
    // Nine chunks fit (9 216 bytes); the tenth crossed the limit: nothing more was pulled.
    expect(upload.pulled()).toBe(10);
    // The buffering route never sent it; the streaming one sent once and was not retried.
    expect(transport.sent).toBe(retry ? 0 : 1);
    const up = gateway.plan().upstreams.get('u')!;
    expect(up.breaker?.status(clock.now())).toBe('closed');
    expect(up.outlier?.isEjected('a')).toBe(false);
    expect(events.some((e) => e.kind === 'health')).toBe(false);
    // The next request is served normally.
    expect((await gateway.handle(request('small'))).status).toBe(200);
    await gateway.stop();
  });
});
