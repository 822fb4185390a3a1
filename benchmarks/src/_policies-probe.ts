/**
 * Per-check CPU cost of the auth and limit built-ins of `@switchyard/policies`, called directly
 * (no pipeline), for the instruction counts in the package README:
 *
 *   bash benchmarks/src/callgrind-probe.sh benchmarks/src/_policies-probe.ts hit fwd limit both sha256 node
 *
 * (after `pnpm build`; or `node --import tsx benchmarks/src/_policies-probe.ts <variant> [n]` for
 * wall time). Variants: `hit` (api-key cache hit, Bearer key, header stripped), `fwd` (the same
 * with `forwardKey: true`), `limit` (rate-limit by consumer with tiers, in-memory store), `both`
 * (api-key then rate-limit), `sha256` (`sha256Hex` of the key: a cache miss's digest), `node`
 * (`node:crypto` SHA-256 of the same key, for scale).
 */
import { createHash } from 'node:crypto';
import { systemClock, systemRng, type Identity, type PolicyContext } from '@switchyard/core';
import { sha256Hex } from '@switchyard/limiter';
import { apiKey, createMemoryKeyStore, generateApiKey, rateLimit } from '@switchyard/policies';
import { countInstructions } from './probe-window.ts';

const variant = process.argv[2] ?? 'hit';
const N = Number(process.argv[3] ?? 200_000);
const key = generateApiKey({ prefix: 'sk', random: (b) => b.fill(7) });
const deps = (name: string) => ({ name, clock: systemClock, rng: systemRng, policy: () => undefined });
const consumers = [{ id: 'acme', tier: 'enterprise', metadata: { plan: 'gold' }, keys: [key] }];
const auth = apiKey.create({ store: createMemoryKeyStore(consumers), prefix: 'sk', checksum: true }, deps('auth'));
const authFwd = apiKey.create({ store: createMemoryKeyStore(consumers), forwardKey: true }, deps('auth-fwd'));
const limit = rateLimit.create({ by: 'consumer', limit: 1e12, windowMs: 60_000, tiers: { enterprise: { limit: 1e12 } } }, deps('limit'));
const req = { method: 'GET', scheme: 'https' as const, authority: 'a', path: '/orders', query: '', headers: { authorization: `Bearer ${key}`, accept: '*/*', 'user-agent': 'x' }, attributes: {} };
// `now` stays 0: the cache entry never expires and the limit never refills mid-run.
const ctx: PolicyContext = { requestId: 'r', route: { name: 'r', metadata: {} }, policy: 'auth', clock: systemClock, rng: systemRng, now: 0, identity: undefined, attributes: {}, backend: undefined, clientIp: '203.0.113.7', trustedPeer: false, geo: () => undefined };
const withIdentity: PolicyContext = { ...ctx, identity: { sub: 'acme', data: { tier: 'enterprise' }, via: 'auth' } };
let sink: unknown;
const ops: Record<string, () => void> = {
  hit: () => (sink = auth.inbound?.(req, ctx)),
  fwd: () => (sink = authFwd.inbound?.(req, ctx)),
  limit: () => (sink = limit.inbound?.(req, withIdentity)),
  both: () => {
    const r = auth.inbound?.(req, ctx) as { identity?: Identity } | undefined;
    sink = limit.inbound?.(req, { ...ctx, identity: r?.identity });
  },
  sha256: () => (sink = sha256Hex(key)),
  node: () => (sink = createHash('sha256').update(key).digest('hex')),
};
const op = ops[variant];
if (op === undefined) throw new Error(`unknown variant ${variant}: ${Object.keys(ops).join(', ')}`);
for (let i = 0, w = Number(process.env['WARMUP'] ?? 20_000); i < w; i++) op();
countInstructions(true);
const c0 = process.cpuUsage();
for (let i = 0; i < N; i++) op();
const c = process.cpuUsage(c0);
countInstructions(false);
if (process.env['CALLGRIND'] === undefined) console.log(`${variant}: ${(((c.user + c.system) * 1000) / N).toFixed(0)} ns CPU per check`);
void sink;
