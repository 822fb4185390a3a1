import { defineConfig } from 'tsup';
import { packageConfig } from '../../scripts/tsup.shared.js';

// Two entries: the runner-neutral main one and `./vitest` (contract suites that call vitest).
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/vitest.ts'] }));
