/**
 * Round-trip harness: an imported config through `createGateway` on the mock transport, with the
 * fake clock. The config goes to the gateway as imported: `policies`, route `sessionPersistence`
 * and cookie `ttlMs`/`path` included.
 */
import type { SyRequest, SyResponse } from '@switchyard/core';
import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { createMockTransport, createTestClock, seededRng, type MockReply, type RecordedRequest } from '@switchyard/testing';
import type { UpstreamRequest, Endpoint } from '@switchyard/core';
import { expect } from 'vitest';
import { formatMessage, importDocuments, parseYamlDocuments, type ImportedConfig, type ImportOptions, type ImportResult } from '../src/index.js';

/** The imported config as the gateway takes it (the importer's output type is the gateway's config). */
export function forCurrentGateway(config: ImportedConfig): GatewayConfig {
  return config as unknown as GatewayConfig;
}

/** Imports YAML text; fails the test on any problem. */
export function importYaml(text: string, file: string, options: ImportOptions = {}): ImportResult {
  const parsed = parseYamlDocuments(text, file);
  expect(parsed.problems.map(formatMessage)).toEqual([]);
  const result = importDocuments(parsed.documents, options);
  expect(result.problems.map(formatMessage)).toEqual([]);
  return result;
}

export interface Sent {
  readonly response: SyResponse;
  /** What reached the upstream (the last try), if anything did. */
  readonly upstream: RecordedRequest | undefined;
  readonly all: readonly RecordedRequest[];
  readonly body: string;
}

export function req(url: string, init: Partial<SyRequest> = {}): SyRequest {
  const q = url.indexOf('?');
  return {
    method: 'GET',
    scheme: 'http',
    authority: 'gateway.example',
    path: q < 0 ? url : url.slice(0, q),
    query: q < 0 ? '' : url.slice(q + 1),
    headers: {},
    clientAddress: '198.51.100.7',
    attributes: {},
    ...init,
  };
}

async function text(res: SyResponse): Promise<string> {
  const b = res.body;
  if (b === null) return '';
  if (typeof b === 'string') return b;
  if (b instanceof Uint8Array) return new TextDecoder().decode(b);
  let s = '';
  for await (const c of b) s += new TextDecoder().decode(c);
  return s;
}

/** A gateway over the imported config; `send` runs the fake clock until the answer. */
export function gatewayFor(result: ImportResult, seed = 1, reply?: (request: UpstreamRequest, endpoint: Endpoint) => MockReply) {
  const clock = createTestClock();
  const transport = createMockTransport({ clock });
  transport.respondWith(reply ?? (() => ({ status: 200, body: 'ok' })));
  const gateway = createGateway(forCurrentGateway(result.config), { transport, clock, rng: seededRng(seed) });
  const send = async (r: SyRequest, maxMs = 60_000): Promise<Sent> => {
    const before = transport.requests.length;
    let out: SyResponse | undefined;
    void gateway.handle(r).then((x) => (out = x));
    for (let t = 0; out === undefined && t <= maxMs; t += 5) await clock.advanceAsync(5);
    if (out === undefined) throw new Error('no response');
    const all = transport.requests.slice(before);
    return { response: out, upstream: all[all.length - 1], all, body: await text(out) };
  };
  return { clock, transport, gateway, send };
}

/** The endpoint id a request reached (`infra-backend-v1`), or the status when none did. */
export function backendOf(s: Sent): string | number {
  return s.upstream?.endpoint.id ?? s.response.status;
}
