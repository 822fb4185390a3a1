/**
 * An upstream that dies under load: the process keeps running, no downstream response is
 * written twice, and every client gets exactly one answer: a complete response, or (when the
 * upstream died after the status line was already forwarded) a connection reset mid-body,
 * the only honest signal left. With retries and a second instance, requests whose headers had
 * not been sent yet are retried there and succeed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { GatewayConfig } from '@switchyard/gateway';
import { client, startGateway, startUpstream, until, type ResponseRecord } from './harness.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

type Outcome =
  | { readonly kind: 'response'; readonly status: number; readonly body: string }
  | { readonly kind: 'reset-mid-body'; readonly status: number; readonly received: string; readonly code: string }
  | { readonly kind: 'no-response'; readonly code: string };

const codeOf = (err: unknown): string => String((err as { code?: unknown }).code ?? (err as Error).message);

/** One client request, read to the end; `onFirstChunk` fires when the first body bytes arrive. */
async function outcome(url: string, dispatcher: ReturnType<typeof client>, onFirstChunk?: (chunk: string) => void): Promise<Outcome> {
  let res;
  try {
    res = await request(url, { dispatcher });
  } catch (err) {
    return { kind: 'no-response', code: codeOf(err) };
  }
  let received = '';
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (received === '') onFirstChunk?.(String(chunk));
      received += String(chunk);
    }
  } catch (err) {
    return { kind: 'reset-mid-body', status: res.statusCode, received, code: codeOf(err) };
  }
  return { kind: 'response', status: res.statusCode, body: received };
}

/** Each downstream response: head written at most once, closed exactly once, handler never threw. */
function expectWrittenOnce(records: readonly ResponseRecord[]): void {
  for (const r of records) {
    expect(r.writeHeads, r.path).toBeLessThanOrEqual(1);
    expect(r.finishes, r.path).toBeLessThanOrEqual(1);
    expect(r.closes, r.path).toBe(1);
    expect(r.handlerErrors, r.path).toBe(0);
  }
}

const RESET_CODES = ['UND_ERR_SOCKET', 'ECONNRESET'];

describe('an upstream dying mid-load', () => {
  it('with retries on a second instance: requests still waiting for headers succeed there; those mid-body end in a clean reset', async () => {
    const held = { head: 0, body: 0 };
    // A: `phase=head` requests get nothing; `phase=body` get the status line and one chunk. Then A dies.
    const a = await startUpstream((req, res) => {
      if (req.url?.includes('phase=body')) {
        held.body++;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a-first|');
      } else {
        held.head++;
      }
    });
    const b = await startUpstream((req, res) => res.end(`b:${req.url}`));
    const config: GatewayConfig = {
      routes: [
        {
          name: 'items',
          matches: [{ path: { type: 'PathPrefix', value: '/items' } }],
          backends: [{ upstream: 'pool' }],
          timeoutMs: 0,
          retry: { numRetries: 1, retryOn: ['reset', 'connect-failure'], baseIntervalMs: 1 },
        },
      ],
      upstreams: {
        pool: {
          endpoints: [{ url: a.url }, { url: b.url }],
          balancer: { policy: 'round-robin' },
          // Envoy's default allows 3 concurrent retries per cluster; A's death retries ~20 at once.
          resourceLimits: { maxRetries: 1_000 },
        },
      },
    };
    const gw = await startGateway(config);
    const dispatcher = client(100);
    cleanup.push(() => a.close(), () => b.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));

    const N = 80;
    let firstChunks = 0;
    let finished = 0;
    const results = Array.from({ length: N }, (_, i) =>
      outcome(`${gw.url}/items/${i}?phase=${i % 4 < 2 ? 'head' : 'body'}`, dispatcher, (c) => {
        if (c.startsWith('a-first|')) firstChunks++;
      }).then((o) => {
        finished++;
        return o;
      }),
    );
    // Every request is either held by A (body ones with their first chunk at the client) or done at B.
    await until(() => held.head + held.body + finished === N && firstChunks === held.body, () => `every request held by A or answered by B (${JSON.stringify({ held, finished, firstChunks, aReq: a.requests(), bReq: b.requests() })})`, 2_000);
    // Round-robin over A, B with phases head, head, body, body: A holds some of each.
    expect(held.head).toBeGreaterThan(0);
    expect(held.body).toBeGreaterThan(0);
    expect(a.requests()).toBe(held.head + held.body);

    await a.close(); // A dies: every socket destroyed, listener closed
    const outcomes = await Promise.all(results);

    const resets = outcomes.filter((o) => o.kind === 'reset-mid-body');
    const ok = outcomes.filter((o) => o.kind === 'response');
    expect(outcomes.filter((o) => o.kind === 'no-response')).toEqual([]);
    // Mid-body at A: a clean reset after exactly what A sent, never a second status line.
    expect(resets).toHaveLength(held.body);
    for (const r of resets) {
      expect(r).toMatchObject({ status: 200, received: 'a-first|' });
      expect(RESET_CODES).toContain((r as { code: string }).code);
    }
    // Everything else, including every request A held before its headers, was answered by B.
    expect(ok).toHaveLength(N - held.body);
    for (const o of ok) expect(o).toMatchObject({ status: 200, body: expect.stringMatching(/^b:\/items\/\d+\?phase=/) as unknown });
    const retried = gw.events.filter((e) => e.kind === 'upstream' && e.event.kind === 'retry').length;
    expect(retried).toBe(held.head);

    // After the death, A refuses connections: every request still succeeds through a retry on B.
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => outcome(`${gw.url}/items/after-${i}`, dispatcher)));
    expect(after.every((o) => o.kind === 'response' && o.status === 200 && o.body.startsWith('b:'))).toBe(true);

    await until(() => gw.active() === 0, 'every gateway handler finished');
    expect(gw.records).toHaveLength(N + 20);
    expectWrittenOnce(gw.records);
    expect(gw.records.filter((r) => r.writeHeads === 1)).toHaveLength(N + 20);
  }, 30_000);

  it('without retries, sockets destroyed mid-stream under load: one answer per client (complete, 502, or reset mid-body), never two', async () => {
    const CHUNKS = 20;
    let destroyAt = 0;
    let live = 0;
    // Streams CHUNKS chunks, one per event-loop turn batch; dies (all sockets destroyed) once
    // `destroyAt` requests have started streaming.
    const up = await startUpstream((req, res) => {
      live++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const pump = (): void => {
        if (res.destroyed) return;
        if (i++ < CHUNKS) {
          res.write(`c${i}|`);
          setImmediate(pump);
        } else res.end('end');
      };
      pump();
      if (live === destroyAt) for (const s of upSockets()) s.destroy();
    });
    const upSockets = () => [...up.sockets];
    const config: GatewayConfig = {
      routes: [{ name: 'stream', matches: [{ path: { type: 'PathPrefix', value: '/' } }], backends: [{ upstream: 'one' }], timeoutMs: 0 }],
      upstreams: { one: { endpoints: [{ url: up.url }], panicThresholdPercent: 0 } },
    };
    const gw = await startGateway(config);
    const dispatcher = client(100);
    cleanup.push(() => up.close(), () => gw.close(), () => dispatcher.destroy().catch(() => {}));

    const N = 200;
    destroyAt = 60;
    const outcomes = await Promise.all(Array.from({ length: N }, (_, i) => outcome(`${gw.url}/s/${i}`, dispatcher)));
    const full = 'c1|c2|c3|c4|c5|c6|c7|c8|c9|c10|c11|c12|c13|c14|c15|c16|c17|c18|c19|c20|end';
    let complete = 0;
    let resets = 0;
    let errors = 0;
    for (const o of outcomes) {
      if (o.kind === 'no-response') throw new Error(`a client got no response at all: ${o.code}`);
      if (o.kind === 'reset-mid-body') {
        resets++;
        expect(o.status).toBe(200);
        expect(full.startsWith(o.received)).toBe(true);
        expect(RESET_CODES).toContain(o.code);
      } else if (o.status === 200) {
        complete++;
        expect(o.body).toBe(full);
      } else {
        errors++;
        expect(o.status).toBe(502);
        expect(JSON.parse(o.body)).toMatchObject({ error: 'SY_UPSTREAM_RESET' });
      }
    }
    expect(complete + resets + errors).toBe(N);
    expect(resets + errors).toBeGreaterThan(0); // the death was observed
    await until(() => gw.active() === 0, 'every gateway handler finished');
    expect(gw.records).toHaveLength(N);
    expectWrittenOnce(gw.records);
    expect(gw.records.filter((r) => r.writeHeads === 1)).toHaveLength(N);
  }, 30_000);
});
