// One-off scaffold of package.json / tsconfig.json for every package. Kept for reference:
// re-running it never overwrites an existing file.
import { existsSync, writeFileSync } from 'node:fs';
const pkgs = {
  core: { desc: 'Contracts and shared primitives of switchyard: Clock, Rng, request/response shapes, Endpoint, Outcome, Transport, errors, hashing, EWMA, Retry-After, IP/CIDR.', deps: {}, node: false },
  router: { desc: 'Gateway-API-exact and first-match request routing, compiled once.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  balancers: { desc: 'Load-balancing policies of Envoy, Linkerd and gRPC as pure functions.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  health: { desc: 'Active health checking plans, Envoy outlier detection and circuit breaking over an injected clock.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  limiter: { desc: 'Token bucket / GCRA / sliding-window limiters, tiers, client identity, adaptive concurrency.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  splitter: { desc: 'Sticky weighted splits, canaries, experiments, blue-green and progressive rollouts.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  rewrite: { desc: 'Safe URL and header rewriting, redirects and forwarding-header hygiene.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  gateway: { desc: 'One declarative config composing routing, limits, splits, balancing, health and rewrites with the full request lifecycle.', deps: { '@switchyard/core': 'workspace:^', '@switchyard/router': 'workspace:^', '@switchyard/balancers': 'workspace:^', '@switchyard/health': 'workspace:^', '@switchyard/limiter': 'workspace:^', '@switchyard/splitter': 'workspace:^', '@switchyard/rewrite': 'workspace:^' }, node: false },
  testing: { desc: 'Test clock, seeded random, mock transport, simulated upstream fleet, load driver and contract suites for switchyard.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  'transport-undici': { desc: 'undici-based Transport for switchyard: pooled keep-alive, streaming, AbortSignal both ways.', deps: { '@switchyard/core': 'workspace:^' }, node: true },
  'transport-fetch': { desc: 'fetch-based Transport for switchyard, for edge runtimes.', deps: { '@switchyard/core': 'workspace:^' }, node: false },
  redis: { desc: 'Redis store for switchyard limiters: one round trip per decision.', deps: { '@switchyard/core': 'workspace:^', '@switchyard/limiter': 'workspace:^' }, node: true },
  express: { desc: 'Express adapter for switchyard.', deps: { '@switchyard/core': 'workspace:^', '@switchyard/gateway': 'workspace:^' }, node: true },
  fastify: { desc: 'Fastify plugin for switchyard.', deps: { '@switchyard/core': 'workspace:^', '@switchyard/gateway': 'workspace:^' }, node: true },
  hono: { desc: 'Hono middleware for switchyard.', deps: { '@switchyard/core': 'workspace:^', '@switchyard/gateway': 'workspace:^' }, node: false },
};
for (const [name, p] of Object.entries(pkgs)) {
  const dir = `packages/${name}`;
  const pj = {
    name: `@switchyard/${name}`,
    version: '0.1.0',
    description: p.desc,
    license: 'Apache-2.0',
    type: 'module',
    sideEffects: false,
    exports: {
      '.': {
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './package.json': './package.json',
    },
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'README.md'],
    engines: { node: '>=20' },
    scripts: {
      build: 'tsup',
      typecheck: 'tsc -p tsconfig.json',
    },
    dependencies: p.deps,
  };
  if (!existsSync(`${dir}/package.json`)) writeFileSync(`${dir}/package.json`, JSON.stringify(pj, null, 2) + '\n');
  const tsc = p.node
    ? { extends: '../../tsconfig.base.json', compilerOptions: { lib: ['ES2022', 'DOM'], types: ['node'] }, include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts'] }
    : { extends: '../../tsconfig.base.json', include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/*.test-d.ts'] };
  if (!existsSync(`${dir}/tsconfig.json`)) writeFileSync(`${dir}/tsconfig.json`, JSON.stringify(tsc, null, 2) + '\n');
  if (!existsSync(`${dir}/tsup.config.ts`)) writeFileSync(`${dir}/tsup.config.ts`, `import { defineConfig } from 'tsup';\nimport { packageConfig } from '../../scripts/tsup.shared.js';\n\nexport default defineConfig(packageConfig());\n`);
}
