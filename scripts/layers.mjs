// The dependency direction drawn in docs/architecture.md, as data: which @switchyard packages
// each package may import. Read by eslint.config.js (imports) and scripts/check-deps.mjs
// (package.json). Tests may also import @switchyard/testing.
export const allowed = {
  core: [],
  router: ['core'],
  balancers: ['core'],
  health: ['core'],
  limiter: ['core'],
  splitter: ['core'],
  rewrite: ['core'],
  testing: ['core'],
  policies: ['core', 'limiter'],
  jwt: ['core'],
  geoip: ['core'],
  gateway: ['core', 'router', 'balancers', 'health', 'limiter', 'splitter', 'rewrite', 'policies'],
  'transport-undici': ['core'],
  'transport-fetch': ['core'],
  redis: ['core', 'limiter', 'splitter', 'policies'],
  import: ['core', 'gateway'],
  simulate: ['core', 'router', 'balancers', 'health', 'limiter', 'splitter', 'rewrite', 'policies', 'gateway', 'testing'],
  cli: ['core', 'router', 'balancers', 'health', 'limiter', 'splitter', 'rewrite', 'policies', 'jwt', 'geoip', 'gateway', 'import', 'simulate', 'transport-undici', 'transport-fetch', 'testing'],
  express: ['core', 'gateway', 'transport-undici', 'transport-fetch'],
  fastify: ['core', 'gateway', 'transport-undici', 'transport-fetch'],
  hono: ['core', 'gateway', 'transport-undici', 'transport-fetch'],
};

/** Extra packages a package's tests may import (integration tests over real transports). */
export const allowedInTests = {
  gateway: ['transport-undici', 'transport-fetch'],
  'transport-undici': ['transport-fetch'],
  // The store's fail-closed answer as the gateway gives it (503), on a real redis-server.
  redis: ['gateway'],
};

/** Packages that must run unchanged on Node, Bun, Deno and edge workers. */
export const runtimeNeutral = ['core', 'router', 'balancers', 'health', 'limiter', 'splitter', 'rewrite', 'policies', 'jwt', 'gateway', 'import', 'testing', 'simulate'];

/** Runtime-neutral too, but allowed `fetch` (it is their job) and no timers of their own. */
export const edgeLeaves = ['transport-fetch', 'hono'];

/** Node-only by their dependencies, but their sources import no `node:` module, so they bundle for workers. */
export const noNodeImports = ['redis'];
