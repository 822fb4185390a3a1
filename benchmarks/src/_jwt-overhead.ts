/**
 * Instructions (or CPU time) per verification: the `jwt` policy's inbound against jose's
 * `jwtVerify` alone on the same token and key, in process. On a shared machine the instruction
 * count is the figure to compare (it does not move with the load); `pnpm bench policies` gives
 * the timings.
 *
 *   bash benchmarks/src/callgrind-probe.sh benchmarks/src/_jwt-overhead.ts policy-RS256 jose-RS256 policy-HS256 jose-HS256
 *   node --import tsx benchmarks/src/_jwt-overhead.ts policy-RS256 [requests]
 *
 * Variants: `policy-<ALG>` (jwksUri, set fetched before counting; HS256: secret), `jose-<ALG>`
 * (`jwtVerify` with the CryptoKey and the same checks), `cached-<ALG>` (verifiedCacheSize on: a
 * repeated token). ALG: RS256, ES256, HS256. Env WARMUP (default 2 000).
 */
import { SignJWT, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWTVerifyOptions } from 'jose';
import { systemClock, systemRng, type PolicyContext, type SyRequest, type Transport } from '@switchyard/core';
import { createJwtPolicy, type JwtPolicyInput, type JwtProviderInput } from '@switchyard/jwt';
import { countInstructions } from './probe-window.ts';

const [kind, alg] = (process.argv[2] ?? 'policy-RS256').split('-') as ['policy' | 'jose' | 'cached', 'RS256' | 'ES256' | 'HS256'];
const N = Number(process.argv[3] ?? 2_000);
const ISSUER = 'https://issuer.bench/';

let signKey: CryptoKey | Uint8Array;
let verifyKey: CryptoKey;
let provider: JwtProviderInput;
let body = '{"keys":[]}';
if (alg === 'HS256') {
  const secret = 'benchmark-shared-secret-32-bytes!';
  const bytes = new TextEncoder().encode(secret);
  signKey = bytes;
  verifyKey = (await crypto.subtle.importKey('raw', bytes as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])) as CryptoKey;
  provider = { issuer: ISSUER, audiences: ['api'], secret, algorithms: [alg] };
} else {
  const pair = await generateKeyPair(alg, { extractable: true });
  signKey = pair.privateKey;
  verifyKey = pair.publicKey;
  body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg, use: 'sig' }] });
  provider = { issuer: ISSUER, audiences: ['api'], jwksUri: 'https://issuer.bench/jwks', algorithms: [alg] };
}
const nowS = Math.floor(systemClock.wallNow() / 1000);
const token = await new SignJWT({ iss: ISSUER, aud: 'api', sub: 'user-42', iat: nowS, exp: nowS + 3600, scope: 'orders:read', tenant: 'acme' })
  .setProtectedHeader({ alg, typ: 'JWT', kid: 'k1' })
  .sign(signKey);
const transport: Transport = { send: async () => ({ kind: 'response', response: { status: 200, headers: {}, body } }) };
const policy = createJwtPolicy({ providers: [provider], ...(kind === 'cached' ? { verifiedCacheSize: 100 } : {}) } as JwtPolicyInput, { name: 'auth', clock: systemClock, rng: systemRng, transport, policy: () => undefined });
const inbound = policy.inbound as NonNullable<typeof policy.inbound>;
const ctx: PolicyContext = { requestId: 'r', route: { name: 'r', metadata: {} }, policy: 'auth', clock: systemClock, rng: systemRng, now: 0, identity: undefined, attributes: {}, backend: undefined, clientIp: undefined, trustedPeer: false, geo: () => undefined };
const request: SyRequest = { method: 'GET', scheme: 'https', authority: 'api.example.com', path: '/orders/42', query: '', headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'bench', host: 'api.example.com' }, attributes: {} };
const options: JWTVerifyOptions = { algorithms: [alg], issuer: ISSUER, audience: ['api'], requiredClaims: ['exp', 'sub'], clockTolerance: 60 };

const once = kind === 'jose' ? () => jwtVerify(token, verifyKey, options) : () => inbound(request, ctx);
const first = await once();
if ('kind' in first && first.kind !== 'continue') throw new Error(`refused: ${JSON.stringify(first)}`);
const run = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) {
    const r = once();
    if (r instanceof Promise) await r;
  }
};
await run(Number(process.env['WARMUP'] ?? 2_000));
countInstructions(true);
const c0 = process.cpuUsage();
await run(N);
const c = process.cpuUsage(c0);
countInstructions(false);
console.log(`${kind}-${alg}: ${(((c.user + c.system) / N) * 1000).toFixed(0)} ns CPU/verification (${N})`);
