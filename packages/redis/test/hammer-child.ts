/**
 * A separate process hammering one key through the Redis store (run by the concurrency test
 * with `node --import tsx`). Prints the number of admitted requests as JSON.
 */
import { Redis } from 'ioredis';
import { tokenBucket } from '@switchyard/limiter';
import { createRedisStore, fromIoredis } from '../src/index.js';

const [port, requests, key] = process.argv.slice(2);
const redis = new Redis({ port: Number(port), host: '127.0.0.1', lazyConnect: true });
await redis.connect();
const store = createRedisStore({ client: fromIoredis(redis), onStoreError: 'deny', timeoutMs: 5000 });
const policy = tokenBucket({ id: 'hammer', maxTokens: 500, tokensPerFill: 1, fillIntervalMs: 3_600_000 });
// Ready, then wait for the parent's go so every process hammers at the same moment.
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
// 10 workers in a row each, so the requests stay spread over the whole race.
const results = (
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      const mine = [];
      for (let i = 0; i < Number(requests) / 10; i++) mine.push(await store.take({ namespace: 'hammer', policy, key: key ?? 'k', cost: 1, now: 0 }));
      return mine;
    }),
  )
).flat();
const admitted = results.filter((d) => d.kind === 'allowed').length;
const failed = results.filter((d) => d.storeError !== undefined).length;
process.stdout.write(JSON.stringify({ admitted, failed }) + '\n');
await redis.quit();
