import { defineConfig } from 'tsup';
import { packageConfig } from '../../scripts/tsup.shared.js';

// Two builds run side by side into dist/: the library's clean must not remove the executable.
export default defineConfig([
  // The library (run, loadInputs, explain, …): ESM + CJS + declarations, as every package.
  packageConfig({ clean: ['!bin.js'] }),
  // The executable: ESM only (top-level await), the shebang kept, made executable by tsup.
  packageConfig({ entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false, clean: false, sourcemap: false }),
]);
