import { defineConfig } from 'tsup';
import { packageConfig } from '../../scripts/tsup.shared.js';

export default defineConfig([
  // The library (loadInputs, explain, run, …): ESM + CJS + declarations, as every package.
  packageConfig(),
  // The executable: ESM only (top-level await), the shebang kept, made executable by tsup.
  packageConfig({ entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false, clean: false, sourcemap: false }),
]);
