import type { Options } from 'tsup';

/** The build every package shares: ESM + CJS + declarations, ES2022, sources mapped. */
export function packageConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    // Declarations resolve sibling packages through their published exports, not source paths.
    // tsup's dts step sets `baseUrl`, which TypeScript 6 deprecates: silence only that.
    dts: { compilerOptions: { paths: {}, ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
    splitting: false,
    ...overrides,
  };
}
