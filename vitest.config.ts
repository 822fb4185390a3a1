import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { PassFailReporter } from './scripts/pass-fail-reporter.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against sources: `@switchyard/x` is packages/x/src/index.ts, no build needed.
    alias: [
      // Subpath entries first (`@switchyard/testing/vitest` → packages/testing/src/vitest.ts).
      { find: /^@switchyard\/testing\/vitest$/, replacement: `${root}packages/testing/src/vitest.ts` },
      { find: /^@switchyard\/gateway\/yaml$/, replacement: `${root}packages/gateway/src/yaml.ts` },
      { find: /^@switchyard\/hono\/node$/, replacement: `${root}packages/hono/src/node.ts` },
      ...packages.map((name) => ({
        find: new RegExp(`^@switchyard/${name}$`),
        replacement: `${root}packages/${name}/src/index.ts`,
      })),
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'examples/migrating/*/test/**/*.test.ts'],
    reporters: ['default', new PassFailReporter()],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep the pool small so integration tests with real servers are not starved.
    maxWorkers: 2,
  },
});
