/**
 * The gateway's Node bridge (`fromNodeRequest`) on Node's own `IncomingMessage`. The bridge
 * lives in @switchyard/gateway, whose tests stay runtime-neutral (no node:http), so the check
 * against a real server runs here, with the first Node adapter that hands `req` to it.
 */
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SyRequest } from '@switchyard/core';
import { fromNodeRequest } from '@switchyard/gateway';
import { describe, expect, it } from 'vitest';

/** Sends one request with these raw header lines and returns what the bridge made of it. */
async function bridged(lines: readonly (readonly [string, string])[]): Promise<{ sy: SyRequest; raw: IncomingMessage }> {
  let seen: { sy: SyRequest; raw: IncomingMessage } | undefined;
  const server = createServer((req, res) => {
    seen = { sy: fromNodeRequest(req), raw: req };
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => {
    // A flat [name, value, ...] array sends repeated fields as separate lines (and no default Host).
    const req = request({ host: '127.0.0.1', port, path: '/p?q=1', method: 'GET', headers: lines.flat() as string[] }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (seen === undefined) throw new Error('no request reached the server');
  return seen;
}

describe('fromNodeRequest on a real IncomingMessage', () => {
  it('every header value is a string: repeated fields joined as Node joins them, set-cookie (the one array) joined too', async () => {
    const { sy, raw } = await bridged([
      ['Host', 'API.Example.com'],
      ['X-Many', 'a'],
      ['X-Many', 'b'],
      ['Cookie', 'c=1'],
      ['Cookie', 'd=2'],
      ['Set-Cookie', 's=1'],
      ['Set-Cookie', 's=2'],
    ]);
    expect(Array.isArray(raw.headers['set-cookie'])).toBe(true);
    for (const [name, value] of Object.entries(sy.headers)) expect(typeof value, name).toBe('string');
    expect(sy.headers['x-many']).toBe('a, b');
    expect(sy.headers['cookie']).toBe('c=1; d=2');
    expect(sy.headers['set-cookie']).toBe('s=1, s=2');
    expect(sy).toMatchObject({ method: 'GET', authority: 'api.example.com', path: '/p', query: 'q=1', clientAddress: '127.0.0.1' });
  });

  it('hands Node its own headers object when nothing needs joining (no copy)', async () => {
    const { sy, raw } = await bridged([
      ['Host', 'api'],
      ['X-One', '1'],
    ]);
    expect(sy.headers).toBe(raw.headers);
  });
});
