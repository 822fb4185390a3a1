/**
 * Run by key-size.test.ts with `node --expose-gc --import tsx`: the heap a memory store (the
 * Redis store's `local` fallback, and the gateway's default store) keeps after COUNT distinct
 * keys of 8 KB, printed as JSON `{ keys, heldBytes }`.
 */
import { createMemoryStore, tokenBucket } from '@switchyard/limiter';

const count = Number(process.argv[2] ?? '20000');
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');
const used = (): number => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const store = createMemoryStore({ maxKeysPerPolicy: count });
const policy = tokenBucket({ id: 'mem', maxTokens: 10, tokensPerFill: 1, fillIntervalMs: 60_000 });
const pad = 'k'.repeat(8192 - 8);
const before = used();
for (let i = 0; i < count; i++) {
  // A flat string, as a parsed header value is (a concatenation would share `pad`).
  const key = Buffer.from(String(i).padStart(8, '0') + pad, 'latin1').toString('latin1');
  store.takeSync({ namespace: 'n', policy, key, cost: 1, now: 0 });
}
const heldBytes = used() - before;
process.stdout.write(JSON.stringify({ keys: store.size, heldBytes }) + '\n');
