/**
 * The `jwt` part of `pnpm bench policies`: the `jwt` policy's inbound on a valid token with the
 * issuer's key already cached, against jose's `jwtVerify` alone on the same token and key (the
 * issue's target: ≤ 1.15× jose). One process, interleaved rounds (see harness.ts).
 *
 * Rows per algorithm (RS256, ES256, HS256):
 * - `switchyard jwt policy (jwksUri, set cached)`: `policy.inbound(request, ctx)` with a remote
 *   key set fetched once through a transport before timing (the production path), result
 *   awaited; it also reads the token from the request, strips it (one header copy) and builds
 *   the identity. For HS256 the provider has a `secret` instead (no key set).
 * - `jose jwtVerify (CryptoKey)`: `jwtVerify(token, publicKey, options)` with the same checks
 *   (algorithms, issuer, audience, required exp and sub, 60 s tolerance): the floor.
 * - `jose jwtVerify (createLocalJWKSet)`: the same through jose's local key set (key selection
 *   by alg/kid), which is what the policy calls underneath.
 * And one case for the verified-token cache (`verifiedCacheSize`), where a repeated token is
 * answered synchronously without a signature check.
 */
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK, type JWTVerifyOptions } from 'jose';
import { systemClock, systemRng, type Endpoint, type PolicyContext, type SyRequest, type Transport, type TransportResult, type UpstreamRequest } from '@switchyard/core';
import { createJwtPolicy, type JwtPolicyInput } from '@switchyard/jwt';
import { minorGc, round, type CaseResult } from '../harness.js';

const ISSUER = 'https://issuer.bench/';
const AUDIENCE = 'orders-api';
const QUICK = process.env['POLICIES_QUICK'] !== undefined;
const ROUNDS = QUICK ? 3 : 31;
const OPS = QUICK ? 20 : 200;

function context(): PolicyContext {
  return {
    requestId: 'bench',
    route: { name: 'orders', metadata: {} },
    policy: 'auth',
    clock: systemClock,
    rng: systemRng,
    now: systemClock.now(),
    identity: undefined,
    attributes: {},
    backend: undefined,
    clientIp: '203.0.113.7',
    trustedPeer: false,
    geo: () => undefined,
  };
}

/** A transport that serves one JSON Web Key Set (what the issuer's endpoint would). */
function jwksTransport(jwks: { keys: JWK[] }): Transport & { fetches: number } {
  const body = JSON.stringify(jwks);
  const t = {
    fetches: 0,
    send(_r: UpstreamRequest, _e: Endpoint): Promise<TransportResult> {
      t.fetches++;
      return Promise.resolve({ kind: 'response', response: { status: 200, headers: { 'content-type': 'application/json' }, body } });
    },
  };
  return t;
}

interface Keys {
  readonly alg: 'RS256' | 'ES256' | 'HS256';
  readonly sign: CryptoKey | Uint8Array;
  readonly verify: CryptoKey | Uint8Array;
  readonly jwks?: { keys: JWK[] };
  readonly secret?: string;
}

async function keysFor(alg: 'RS256' | 'ES256' | 'HS256'): Promise<Keys> {
  if (alg === 'HS256') {
    const secret = 'benchmark-shared-secret-32-bytes!';
    const bytes = new TextEncoder().encode(secret);
    // jose gets the key imported once, as the policy imports it (a raw Uint8Array would be
    // imported by jose on every call).
    const key = (await crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])) as CryptoKey;
    return { alg, sign: bytes, verify: key, secret };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' };
  return { alg, sign: privateKey, verify: publicKey, jwks: { keys: [jwk] } };
}

async function oneAlgorithm(alg: 'RS256' | 'ES256' | 'HS256'): Promise<CaseResult[]> {
  const k = await keysFor(alg);
  const nowS = Math.floor(systemClock.wallNow() / 1000);
  const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'user-42', iat: nowS, exp: nowS + 3600, scope: 'orders:read', tenant: 'acme' })
    .setProtectedHeader({ alg, typ: 'JWT', ...(alg === 'HS256' ? {} : { kid: `${alg}-1` }) })
    .sign(k.sign);
  const provider = { issuer: ISSUER, audiences: [AUDIENCE], algorithms: [alg], ...(k.secret !== undefined ? { secret: k.secret } : { jwksUri: 'https://issuer.bench/.well-known/jwks.json' }) };
  const transport = jwksTransport(k.jwks ?? { keys: [] });
  const deps = { name: 'auth', clock: systemClock, rng: systemRng, transport, policy: () => undefined };
  const policy = createJwtPolicy({ providers: [provider] } as JwtPolicyInput, deps);
  const inbound = policy.inbound as NonNullable<typeof policy.inbound>;
  const ctx = context();
  const request: SyRequest = {
    method: 'GET',
    scheme: 'https',
    authority: 'api.example.com',
    path: '/orders/42',
    query: '',
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'bench', host: 'api.example.com' },
    attributes: {},
  };
  // Warm: the key set is fetched and the key imported before timing.
  const warm = await inbound(request, ctx);
  if (warm.kind !== 'continue' || warm.identity?.sub !== 'user-42') throw new Error(`jwt bench: the policy refused the token: ${JSON.stringify(warm)}`);
  if (k.secret === undefined && transport.fetches !== 1) throw new Error('jwt bench: expected one key set fetch');

  // The same checks the policy makes (its defaults: exp and sub required, 60 s skew).
  const options: JWTVerifyOptions = { algorithms: [alg], issuer: ISSUER, audience: [AUDIENCE], requiredClaims: ['exp', 'sub'], clockTolerance: 60 };
  const local = k.jwks !== undefined ? createLocalJWKSet(k.jwks) : undefined;
  const joseKey = async () => (await jwtVerify(token, k.verify, options)).payload;
  const joseSet = local !== undefined ? async () => (await jwtVerify(token, local, options)).payload : undefined;
  await joseKey();
  await joseSet?.();

  const cachedPolicy = createJwtPolicy({ providers: [provider], verifiedCacheSize: 1000 } as JwtPolicyInput, { ...deps, transport: jwksTransport(k.jwks ?? { keys: [] }) });
  const cachedInbound = cachedPolicy.inbound as NonNullable<typeof cachedPolicy.inbound>;
  await cachedInbound(request, ctx);
  const hit = cachedInbound(request, ctx);
  if (hit instanceof Promise || hit.kind !== 'continue') throw new Error('jwt bench: expected a synchronous cache hit');

  const ours = `switchyard jwt policy (${k.secret !== undefined ? 'secret' : 'jwksUri, set cached'})`;
  const rows = await interleaved(
    `jwt ${alg}: verify a valid token`,
    [
      [ours, () => inbound(request, ctx)],
      ['jose jwtVerify (CryptoKey)', joseKey],
      ...(joseSet !== undefined ? ([['jose jwtVerify (createLocalJWKSet)', joseSet]] as const) : []),
    ],
    { rounds: ROUNDS, ops: OPS },
  );
  const cacheRows = alg === 'RS256' ? await interleaved(`jwt ${alg}: repeated token, verifiedCacheSize on`, [['switchyard jwt policy (verified cache hit, sync)', () => cachedInbound(request, ctx)], ['jose jwtVerify (CryptoKey)', joseKey]], { rounds: ROUNDS, ops: OPS }) : [];
  return [...rows, ...cacheRows];
}

/**
 * harness.ts's `interleaved` (alternating order, a minor GC before each round, median of the
 * per-round means), measuring process CPU time (`process.cpuUsage`, every thread: WebCrypto
 * verifies on libuv's pool) beside wall time. On a shared machine the wall time of an async
 * verification is mostly waiting for a pool thread and a turn on a core; CPU time is what the
 * work costs. `ns` is the wall median (the suite format), `cpuNs` the CPU median.
 */
export async function interleaved(c: string, impls: ReadonlyArray<readonly [string, () => unknown]>, options: { rounds: number; ops: number }): Promise<CaseResult[]> {
  const wall = impls.map(() => [] as number[]);
  const cpu = impls.map(() => [] as number[]);
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < impls.length; k++) {
      const j = r % 2 === 0 ? k : impls.length - 1 - k;
      const fn = (impls[j] as readonly [string, () => unknown])[1];
      minorGc();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let n = 0; n < options.ops; n++) {
        const v = fn();
        if (v instanceof Promise) await v;
      }
      const t1 = process.hrtime.bigint();
      const c1 = process.cpuUsage(c0);
      (wall[j] as number[]).push(Number(t1 - t0) / options.ops);
      (cpu[j] as number[]).push(((c1.user + c1.system) * 1000) / options.ops);
    }
  }
  const median = (xs: number[]): number => (xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number);
  const iqr = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (f: number): number => s[Math.floor(f * (s.length - 1))] as number;
    return round(((q(0.75) - q(0.25)) / 2 / q(0.5)) * 100);
  };
  return impls.map(([impl], j) => ({ case: c, impl, ns: round(median(wall[j] as number[])), rme: iqr(wall[j] as number[]), cpuNs: round(median(cpu[j] as number[])), cpuRme: iqr(cpu[j] as number[]) }));
}

/** Runs the jwt cases; returns their rows and notes for the policies suite. */
export async function jwtPart(): Promise<{ cases: CaseResult[]; notes: string[] }> {
  const cases: CaseResult[] = [];
  for (const alg of ['RS256', 'ES256', 'HS256'] as const) cases.push(...(await oneAlgorithm(alg)));
  const notes: string[] = [];
  for (const alg of ['RS256', 'ES256', 'HS256']) {
    const rows = cases.filter((c) => c.case === `jwt ${alg}: verify a valid token`);
    const ours = rows.find((r) => r.impl.startsWith('switchyard'));
    const jose = rows.find((r) => r.impl === 'jose jwtVerify (CryptoKey)');
    if (ours?.ns !== undefined && jose?.ns !== undefined) {
      notes.push(`jwt ${alg}: policy inbound / jose jwtVerify alone = ${(ours.ns / jose.ns).toFixed(3)} wall, ${((ours['cpuNs'] as number) / (jose['cpuNs'] as number)).toFixed(3)} CPU (target <= 1.15)`);
    }
  }
  return { cases, notes };
}
