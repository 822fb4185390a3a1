/**
 * Transport overhead on loopback: small GETs through switchyard's transports vs the bare
 * clients they wrap, same upstream (a node:http server in a child process), same concurrency.
 *
 *   pnpm exec tsx --tsconfig tsconfig.json packages/transport-undici/bench/overhead.ts
 *
 * Each candidate is verified (status 200, body "ok") before it is timed; rounds are interleaved
 * and the median req/s of 3 rounds is reported with its ratio to bare undici.
 */
import { spawn } from 'node:child_process';
import { Pool } from 'undici';
import { createAbortController, createEndpoint } from '@switchyard/core';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { createFetchTransport } from '../../transport-fetch/src/index.js';

const REQUESTS = Number(process.env['REQUESTS'] ?? 20_000);
const CONCURRENCY = 32;
const ROUNDS = 3;

const child = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>s.end('ok')).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
const url = `http://127.0.0.1:${port}`;
const endpoint = createEndpoint({ url });

const pool = new Pool(url, { connections: CONCURRENCY });
const undiciTransport = createUndiciTransport({ connections: CONCURRENCY });
const fetchTransport = createFetchTransport();

async function drain(body: unknown): Promise<string> {
  let s = '';
  for await (const c of body as AsyncIterable<Uint8Array>) s += Buffer.from(c).toString();
  return s;
}

const candidates: Record<string, () => Promise<string>> = {
  'undici Pool.request (floor)': async () => {
    const r = await pool.request({ method: 'GET', path: '/' });
    return `${r.statusCode}:${await r.body.text()}`;
  },
  'undici Pool.request + AbortSignal': async () => {
    const r = await pool.request({ method: 'GET', path: '/', headers: { 'x-id': '1' }, signal: new AbortController().signal });
    return `${r.statusCode}:${await r.body.text()}`;
  },
  'switchyard transport-undici': async () => {
    const r = await undiciTransport.send({ method: 'GET', path: '/', headers: { 'x-id': '1' } }, endpoint, { signal: createAbortController().signal });
    if (r.kind !== 'response') throw new Error(r.message);
    return `${r.response.status}:${await drain(r.response.body)}`;
  },
  'node fetch': async () => {
    const r = await fetch(url + '/', { headers: { 'x-id': '1' } });
    return `${r.status}:${await r.text()}`;
  },
  'switchyard transport-fetch': async () => {
    const r = await fetchTransport.send({ method: 'GET', path: '/', headers: { 'x-id': '1' } }, endpoint, { signal: createAbortController().signal });
    if (r.kind !== 'response') throw new Error(r.message);
    return `${r.response.status}:${await drain(r.response.body)}`;
  },
};

for (const [name, fn] of Object.entries(candidates)) {
  const got = await fn();
  if (got !== '200:ok') throw new Error(`${name} returned ${got}`);
}

async function run(fn: () => Promise<string>, n: number): Promise<number> {
  let issued = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < n) {
        issued++;
        await fn();
      }
    }),
  );
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

const results = new Map<string, number[]>();
for (const fn of Object.values(candidates)) await run(fn, 2_000); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(candidates)) {
    results.set(name, [...(results.get(name) ?? []), await run(fn, REQUESTS)]);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floor = median(results.get('undici Pool.request (floor)')!);
console.log(`node ${process.version}, ${REQUESTS} GETs x ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
for (const [name, xs] of results) console.log(`${name.padEnd(30)} ${median(xs).toFixed(0).padStart(8)} req/s  ${(median(xs) / floor).toFixed(2)}x floor`);

await pool.close();
await undiciTransport.close();
child.kill();
