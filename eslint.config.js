// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import { allowed, allowedInTests, runtimeNeutral, edgeLeaves, noNodeImports } from './scripts/layers.mjs';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
const nodeImports = {
  paths: nodeBuiltins.map((name) => ({ name, message: 'Runtime-neutral package: no Node built-ins (inject what you need).' })),
  patterns: [{ group: ['node:*'], message: 'Runtime-neutral package: no node: imports (inject what you need).' }],
};

/** `no-restricted-imports` options for one package: layer direction, plus Node built-ins where neutral. */
function importRules(pkg, { test, node = false }) {
  const may = new Set([...(allowed[pkg] ?? []), ...(test ? ['testing', ...(allowedInTests[pkg] ?? [])] : [])]);
  const forbidden = Object.keys(allowed).filter((p) => p !== pkg && !may.has(p));
  const layer = forbidden.map((p) => ({
    name: `@switchyard/${p}`,
    message: `@switchyard/${pkg} may not import @switchyard/${p} (see docs/architecture.md).`,
  }));
  const neutral = !node && (runtimeNeutral.includes(pkg) || edgeLeaves.includes(pkg) || (!test && noNodeImports.includes(pkg)));
  return {
    paths: [...layer, ...(neutral ? nodeImports.paths : [])],
    patterns: neutral ? nodeImports.patterns : [],
  };
}

const ambientTime = {
  'no-restricted-properties': [
    'error',
    { object: 'Date', property: 'now', message: 'Read time through the injected Clock.' },
    { object: 'performance', property: 'now', message: 'Read time through the injected Clock.' },
    { object: 'Math', property: 'random', message: 'Draw randomness through the injected Rng.' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the wall clock: use Clock.wallNow().' },
  ],
};

const neutralGlobals = (extra) => ({
  'no-restricted-globals': [
    'error',
    ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'].map((name) => ({
      name,
      message: 'Timers go through Clock.setTimer.',
    })),
    { name: 'performance', message: 'Read time through the injected Clock.' },
    { name: 'process', message: 'Runtime-neutral package: no process.' },
    { name: 'Buffer', message: 'Runtime-neutral package: use Uint8Array / TextEncoder.' },
    { name: 'require', message: 'ESM only.' },
    ...extra,
  ],
});

const perPackage = Object.keys(allowed).flatMap((pkg) => {
  const neutral = runtimeNeutral.includes(pkg);
  const edge = edgeLeaves.includes(pkg);
  const globals = neutral
    ? neutralGlobals([{ name: 'fetch', message: 'Network goes through the injected Transport.' }])
    : edge
      ? neutralGlobals([])
      : {};
  const time = neutral || edge ? ambientTime : {};
  return [
    {
      files: [`packages/${pkg}/src/**/*.ts`],
      ignores: [`packages/${pkg}/src/**/*.test.ts`],
      rules: { 'no-restricted-imports': ['error', importRules(pkg, { test: false })], ...globals, ...time },
    },
    {
      files: [`packages/${pkg}/src/**/*.test.ts`, `packages/${pkg}/test/**/*.ts`],
      rules: { 'no-restricted-imports': ['error', importRules(pkg, { test: true })], ...globals, ...time },
    },
  ];
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', 'benchmarks/results/**', '**/*.d.ts', 'benchmarks/.probe-*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...perPackage,
  {
    // @switchyard/hono's `./node` entry (WebSocket upgrades on @hono/node-server) is Node-only by
    // design: its tests (`*.node.test.ts`, with their helpers `*.node.ts`) drive real Node sockets. Layer rules still apply.
    files: ['packages/hono/test/**/*.node.test.ts', 'packages/hono/test/**/*.node.ts'],
    rules: { 'no-restricted-imports': ['error', importRules('hono', { test: true, node: true })], 'no-restricted-globals': 'off' },
  },
  {
    // The two files whose job is to touch the real clock and the real random source.
    files: ['packages/core/src/system-clock.ts', 'packages/core/src/system-rng.ts'],
    rules: { 'no-restricted-properties': 'off', 'no-restricted-globals': 'off', 'no-restricted-syntax': 'off' },
  },
  {
    files: ['scripts/**', 'benchmarks/**', 'examples/**', '*.config.*', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
